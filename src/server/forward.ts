// Followers forward the node and service API to the leader. The registry
// lives in the leader's memory (heartbeats arrive by the thousand per second),
// so a replica that does not lead passes /v1/* on as it came — rate limits and
// body limits already applied here, the leader checks tokens and validates —
// and answers with what the leader said. /healthz, /readyz and /metrics stay
// local: they describe this replica.
import { errorText } from '../errors.js';
import { AGENT_ROUTE } from './routes/agent.js';
import { HOOK_HEADERS } from './routes/hooks.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { secretsEqual } from '../nodes/index.js';
import type { ErrorBody } from './errors.js';

/** Where a request under /v1/ is served. */
export type ForwardTarget = { kind: 'local' } | { kind: 'leader'; url: string } | { kind: 'none'; reason: string };

/** How a follower forwards. */
export interface ForwardOptions {
  /** Where to serve, asked per request. */
  target: () => ForwardTarget;
  /** This replica's id, sent along so a misrouted request is not forwarded twice. */
  replicaId: string;
  /** The shared admin token: it marks a request as coming from a replica, so the leader trusts its client address. */
  replicaSecret: string;
  /** Give up on the leader after this long (default 10 s). */
  timeoutMs?: number;
  /** Called when the leader did not answer or said it does not lead: time to ask who leads now. */
  onLeaderGone?: () => void;
}

/** Set on forwarded requests: the forwarding replica's id. */
export const FORWARDED_HEADER = 'x-xplane-forwarded-by';
/** Set on forwarded requests: the replica secret, so the leader believes `x-forwarded-for`. */
export const REPLICA_HEADER = 'x-xplane-replica';
const PASSED_ON = ['authorization', 'content-type', ...HOOK_HEADERS, 'user-agent'];

/** The client address of a request, as the replica that first took it saw it. */
export function clientAddress(request: FastifyRequest, replicaSecret: string | undefined): string {
  const secret = request.headers[REPLICA_HEADER];
  const forwardedFor = request.headers['x-forwarded-for'];
  if (replicaSecret !== undefined && typeof secret === 'string' && typeof forwardedFor === 'string' && secretsEqual(secret, replicaSecret)) {
    return forwardedFor.split(',')[0]?.trim() || request.ip;
  }
  return request.ip;
}

/** Where a request for `url` is served: under /v1/ where the leader is, the rest here. */
export function servedWhere(url: string, opts: ForwardOptions): ForwardTarget {
  if (!url.startsWith('/v1/')) return { kind: 'local' };
  // The same file on every replica: served here, leader or not.
  if (url.startsWith(AGENT_ROUTE)) return { kind: 'local' };
  return opts.target();
}

/** Installs the forwarding hook; call before the routes are registered. */
export function installForwarding(app: FastifyInstance, opts: ForwardOptions): void {
  // preValidation: after the route's rate limit and the body parser, before the schema and the handler.
  app.addHook('preValidation', async (request, reply) => {
    const target = servedWhere(request.url, opts);
    if (target.kind === 'local') return;
    if (target.kind === 'none') return unavailable(reply, `no leader to serve this request: ${target.reason}`);
    if (request.headers[FORWARDED_HEADER] !== undefined) {
      return unavailable(reply, 'this replica does not lead either; the leadership is changing hands');
    }
    return forward(request, reply, target.url, opts);
  });
}

async function forward(request: FastifyRequest, reply: FastifyReply, leader: string, opts: ForwardOptions): Promise<FastifyReply> {
  const headers: Record<string, string> = {
    [FORWARDED_HEADER]: opts.replicaId,
    [REPLICA_HEADER]: opts.replicaSecret,
    'x-forwarded-for': clientAddress(request, opts.replicaSecret),
  };
  // The status page's session cookie too: the leader checks it with the admin token every replica shares.
  for (const name of [...PASSED_ON, 'cookie']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const body = request.body;
  const payload = body === undefined || body === null ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
  let answer: Response;
  try {
    answer = await fetch(new URL(request.url, leader), {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : payload,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      redirect: 'manual',
    });
  } catch (err) {
    request.log.warn({ leader, err: errorText(err) }, 'forward: the leader did not answer');
    opts.onLeaderGone?.();
    return unavailable(reply, `the leader at ${leader} did not answer; retry shortly`);
  }
  if (answer.status === 503) opts.onLeaderGone?.();
  const bytes = Buffer.from(await answer.arrayBuffer());
  reply.code(answer.status);
  for (const name of ['content-type', 'retry-after', 'link']) {
    const value = answer.headers.get(name);
    if (value !== null) reply.header(name, value);
  }
  return reply.send(bytes);
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  const body: ErrorBody = { error: { code: 'XP_ERR_NOT_READY', message } };
  return reply.code(503).header('retry-after', '1').send(body);
}
