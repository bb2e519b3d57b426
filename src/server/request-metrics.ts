// xplane_http_request_duration_seconds: one sample per answer, labelled by the
// route's template, never the URL a client sent, so labels stay a fixed set.
import type { FastifyInstance } from 'fastify';
import { UNMATCHED_ROUTE, type Metrics } from '../metrics/index.js';

/** Observes every answer's duration; call before the routes are registered. */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // routeOptions.url is the template a route was declared with; undefined when none matched (404, a bad URL).
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.httpRequestDuration.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
