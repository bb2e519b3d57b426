// GET /v1/services/:service — per-region status of one service.
import type { FastifyPluginAsync } from 'fastify';
import { notFound } from '../../errors.js';
import type { NodeRegistry } from '../../nodes/index.js';
import type { ServiceStatusView } from '../../reconcile/index.js';
import { requireAdminRead, type ServerTokens } from '../auth.js';

/** Options of the service routes. */
export interface ServiceRoutesOptions {
  status: (service: string) => Promise<ServiceStatusView | undefined>;
  registry: NodeRegistry;
  tokens: ServerTokens;
}

/** Registers GET /v1/services/:service. */
export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, opts) => {
  app.get<{ Params: { service: string } }>(
    '/v1/services/:service',
    {
      schema: { params: { type: 'object', properties: { service: { type: 'string', maxLength: 63 } }, required: ['service'] } },
      config: { auth: 'admin-read' },
    },
    async (request) => {
      requireAdminRead(request, opts.tokens, (t) => opts.registry.isNodeToken(t));
      const status = await opts.status(request.params.service);
      if (!status) throw notFound(`service ${request.params.service} is not declared in the configuration in force`);
      return status;
    },
  );
};
