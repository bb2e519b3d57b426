// Expect: 100-continue. Left alone, node answers `100 Continue` before any
// handler runs, so a client with a bad token uploads its body before it hears
// 401. This server takes node's 'checkContinue' event instead: the request is
// routed, its headers are judged by the rule its route declares (`config.auth`,
// the same rule the handler applies), and only a request that passes hears
// `100 Continue`.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { XplaneError } from '../errors.js';
import { headersRefusal, type NodeTokenCheck, type ServerTokens, type TokenRule } from './auth.js';
import { webhookRefusal } from './routes/hooks.js';

/** What a route's handler checks of the headers: a token rule, or the webhook's signature header. */
export type RouteAuth = TokenRule | 'webhook';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route's handler checks of the headers; unset on routes anyone may call. */
    auth?: RouteAuth;
  }
}

/** What the headers are judged against. */
export interface ExpectContinueOptions {
  tokens: ServerTokens;
  /** Whether a token is a live node's, for this request: undefined where only the leader can tell (a follower forwards it). */
  nodeTokens: (request: FastifyRequest) => NodeTokenCheck;
  /** The webhook's secret; undefined: the webhook is disabled. */
  webhookSecret: string | undefined;
}

/** The error a request earns from its headers under its route's rule, or undefined: it may send its body. */
function refusalBeforeBody(request: FastifyRequest, opts: ExpectContinueOptions): XplaneError | undefined {
  const auth = request.routeOptions.config.auth;
  if (auth === undefined) return undefined;
  if (auth === 'webhook') return webhookRefusal(opts.webhookSecret, request.headers);
  return headersRefusal(auth, request.headers, opts.tokens, opts.nodeTokens(request));
}

/** Answers `Expect: 100-continue` only after the route's rule passed; call before the routes are registered. */
export function installExpectContinue(app: FastifyInstance, opts: ExpectContinueOptions): void {
  const waiting = new WeakSet<IncomingMessage>();
  // With a listener here node neither sends 100 Continue itself nor emits 'request': fastify gets the request from us.
  app.server.on('checkContinue', (req, res) => {
    waiting.add(req);
    app.server.emit('request', req, res);
  });
  // onRequest runs after routing and before the body is read.
  app.addHook('onRequest', async (request, reply) => {
    if (!waiting.delete(request.raw)) return;
    const refusal = refusalBeforeBody(request, opts);
    if (refusal) {
      // The client may send its body anyway: closing after the answer keeps those bytes from being read as the next request.
      reply.header('connection', 'close');
      throw refusal;
    }
    reply.raw.writeContinue();
  });
}
