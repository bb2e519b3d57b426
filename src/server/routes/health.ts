// Liveness, readiness and the Prometheus endpoint.
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/index.js';
import type { NodeRegistry } from '../../nodes/index.js';
import { requireAdmin, type ServerTokens } from '../auth.js';

/** Options of the health routes. */
export interface HealthRoutesOptions {
  metrics: Metrics;
  registry: NodeRegistry;
  tokens: ServerTokens;
  /** Why the server is not ready, or null when it is. */
  notReadyReason: () => Promise<string | null>;
  /** When false, /metrics takes the admin token. */
  publicMetrics: boolean;
}

/** Registers /healthz, /readyz and /metrics. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const reason = await opts.notReadyReason();
    if (reason === null) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reason });
  });

  app.get('/metrics', { config: opts.publicMetrics ? {} : { auth: 'admin' } }, async (request, reply) => {
    if (!opts.publicMetrics) requireAdmin(request, opts.tokens, (t) => opts.registry.isNodeToken(t));
    const text = await opts.metrics.text();
    return reply.header('content-type', opts.metrics.contentType).send(text);
  });
};
