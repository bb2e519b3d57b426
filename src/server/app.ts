// buildApp returns the fastify app without listening (tests use inject());
// listen.ts binds it to an address.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { join } from 'node:path';
import { packageRoot } from '../package/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { NodeRegistry } from '../nodes/index.js';
import type { ServerTokens } from './auth.js';
import { answerClientError, installErrorHandlers, toErrorBody, type ErrorBody } from './errors.js';
import { installExpectContinue } from './expect-continue.js';
import { clientAddress, installForwarding, servedWhere, type ForwardOptions } from './forward.js';
import { installRequestMetrics } from './request-metrics.js';
import { agentRoutes } from './routes/agent.js';
import { configRoutes } from './routes/config.js';
import { historyRoutes } from './routes/history.js';
import { uiRoutes } from './routes/ui.js';
import { healthRoutes } from './routes/health.js';
import { hookRoutes } from './routes/hooks.js';
import { nodeRoutes } from './routes/nodes.js';
import { serviceRoutes } from './routes/services.js';
import type { ServiceStatusView } from '../reconcile/index.js';
import type { ConfigView } from '../gitops/index.js';
import type { DecisionFilter, DecisionRecord } from '../store/index.js';

/** Everything the API serves from, passed in (nothing is built inside). */
export interface AppOptions {
  registry: NodeRegistry;
  metrics: Metrics;
  tokens: ServerTokens;
  log: Logger;
  /** Why the server is not ready, or null when it is (default: always ready). */
  notReadyReason?: () => Promise<string | null>;
  /** Serve /metrics without a token (default true). */
  publicMetrics?: boolean;
  /** Largest accepted body in bytes (default 16 KiB). */
  bodyLimit?: number;
  /** Registrations per minute per client address (default 600). */
  registerPerMinute?: number;
  /** A request must arrive whole within this many ms (default 10 s). */
  requestTimeoutMs?: number;
  /** Per-service status for GET /v1/services/:service (absent: route answers 404). */
  serviceStatus?: (service: string) => Promise<ServiceStatusView | undefined>;
  /** The push webhook: its secret (undefined: disabled) and what it triggers. */
  webhook?: { secret: string | undefined; trigger: () => void };
  /** With several replicas: when this one does not lead, /v1/* goes to the leader. */
  forward?: ForwardOptions;
  /** The one-file node agent GET /v1/agent/xplane-agent.mjs serves (default: this package's dist/agent/). */
  agentBundle?: string;
  /** The decision log GET /v1/history reads, newest first (default: empty). */
  decisions?: (filter: DecisionFilter) => Promise<DecisionRecord[]>;
  /** The configuration in force and the last sync, for GET /v1/config (default: none yet). */
  configView?: () => Promise<ConfigView>;
  /** The status page's files (default: this package's ui/). */
  uiDir?: string;
  /** Status-page login attempts per minute per client address (default 30). */
  loginPerMinute?: number;
  /** The clock of history's `since` (default Date.now). */
  now?: () => number;
}

const NO_CONFIG: ConfigView = { commit: null, storedAt: null, services: [], regions: [], lastSync: null };

/** Builds the API app. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const requestTimeout = opts.requestTimeoutMs ?? 10_000;
  // Fastify's own logger type, so the app is the plain FastifyInstance the plugins take: given
  // pino's Logger it would infer FastifyInstance<…, Logger>, which they do not accept.
  const loggerInstance: FastifyBaseLogger = opts.log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 16 * 1024,
    requestTimeout,
    keepAliveTimeout: 65_000,
    // Node checks the header and request timeouts only every connectionsCheckingInterval (30 s by
    // default), so a slowloris client would hold its socket 30 s whatever requestTimeout says.
    http: { connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(requestTimeout / 4))) },
    // Timeouts, oversized headers and malformed HTTP get the same error shape as everything else.
    clientErrorHandler: answerClientError,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Errors fastify raises before routing (a malformed URL, a bad content type) get the same shape.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorBody(error);
      void (reply as FastifyReply).code(status).send(body);
    },
  });
  // Slow clients: the whole header block must arrive within the request timeout too.
  app.server.headersTimeout = requestTimeout;
  installErrorHandlers(app);
  // Bodies are JSON (the webhook reads its own raw): any other content type is 415, not a string the schema calls 400.
  app.removeContentTypeParser('text/plain');
  installRequestMetrics(app, opts.metrics);
  installExpectContinue(app, {
    tokens: opts.tokens,
    // A replica that forwards a request does not hold the node tokens: a token it does not know is the leader's to judge.
    nodeTokens: (request) => {
      const here = !opts.forward || servedWhere(request.url, opts.forward).kind === 'local';
      return (token) => opts.registry.isNodeToken(token) || (here ? false : undefined);
    },
    webhookSecret: opts.webhook?.secret,
  });
  if (opts.forward) installForwarding(app, opts.forward);
  await app.register(rateLimit, {
    global: false,
    // Behind a follower replica, the client is the one the follower saw (it vouches with the shared secret).
    keyGenerator: (request) => clientAddress(request, opts.tokens.admin),
    errorResponseBuilder: (_req, ctx) =>
      ({
        statusCode: 429,
        error: { code: 'XP_ERR_RATE_LIMITED', message: `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s` },
      }) satisfies ErrorBody & { statusCode: number },
  });
  await app.register(nodeRoutes, { registry: opts.registry, tokens: opts.tokens, registerPerMinute: opts.registerPerMinute ?? 600 });
  await app.register(serviceRoutes, { status: opts.serviceStatus ?? (async () => undefined), registry: opts.registry, tokens: opts.tokens });
  await app.register(historyRoutes, { decisions: opts.decisions ?? (async () => []), registry: opts.registry, tokens: opts.tokens, now: opts.now });
  await app.register(configRoutes, { view: opts.configView ?? (async () => NO_CONFIG), registry: opts.registry, tokens: opts.tokens });
  await app.register(uiRoutes, { dir: opts.uiDir ?? join(packageRoot(), 'ui'), tokens: opts.tokens, loginPerMinute: opts.loginPerMinute ?? 30 });
  await app.register(hookRoutes, opts.webhook ?? { secret: undefined, trigger: () => undefined });
  await app.register(agentRoutes, { bundlePath: opts.agentBundle ?? join(packageRoot(), 'dist', 'agent', 'xplane-agent.mjs') });
  await app.register(healthRoutes, {
    metrics: opts.metrics,
    registry: opts.registry,
    tokens: opts.tokens,
    notReadyReason: opts.notReadyReason ?? (async () => null),
    publicMetrics: opts.publicMetrics ?? true,
  });
  return app;
}
