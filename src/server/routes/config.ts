// GET /v1/config: the configuration in force, its services and regions, and the
// newest sync with a rejected commit's problems (file:line:col).
import type { FastifyPluginAsync } from 'fastify';
import type { ConfigView } from '../../gitops/index.js';
import type { NodeRegistry } from '../../nodes/index.js';
import { requireAdminRead, type ServerTokens } from '../auth.js';

/** Options of the config route. */
export interface ConfigRouteOptions {
  view: () => Promise<ConfigView>;
  registry: NodeRegistry;
  tokens: ServerTokens;
}

/** Registers GET /v1/config. */
export const configRoutes: FastifyPluginAsync<ConfigRouteOptions> = async (app, opts) => {
  app.get('/v1/config', { config: { auth: 'admin-read' } }, async (request) => {
    requireAdminRead(request, opts.tokens, (t) => opts.registry.isNodeToken(t));
    return opts.view();
  });
};
