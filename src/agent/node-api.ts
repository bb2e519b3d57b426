// The agent's side of the node API (contract §5). Each call returns an
// outcome value saying what the agent should do next — the HTTP status
// mapping lives here, in one place, and the agent loop only reads outcomes.
// The answers are checked by hand, not with zod: the agent ships as one small
// file for Node 18 (dist/agent/xplane-agent.mjs), and three shapes do not
// justify a 450 KB library in it.
import { errorText } from '../errors.js';
import { parseRetryAfter } from './backoff.js';
import type { NodeStats } from './stats.js';

/** The part of `fetch` the agent uses; tests and callers may pass their own. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What registration gives the agent. */
export interface Registration {
  name: string;
  token: string;
  /** The server's heartbeat interval, in milliseconds. */
  heartbeatIntervalMs: number;
}

/** The body of a registration request. */
export interface RegisterRequest {
  service: string;
  region: string;
  address: string;
  name?: string;
  labels?: Record<string, string>;
}

/** What to do after a registration attempt. */
export type RegisterOutcome =
  | { kind: 'registered'; registration: Registration }
  /** A configuration mistake (400, 409): retrying cannot help. */
  | { kind: 'fatal'; status: number; message: string }
  | { kind: 'retry'; status?: number; message: string; retryAfterMs?: number };

/** What to do after a heartbeat. */
export type HeartbeatOutcome =
  | { kind: 'ok'; state: string }
  /** The server lost the node or no longer takes its token (404, 401, 403). */
  | { kind: 'reregister'; status: number; message: string }
  | { kind: 'throttled'; message: string; retryAfterMs?: number }
  /** Any other 4xx: the server refused this beat; the next one may pass. */
  | { kind: 'rejected'; status: number; message: string }
  /** Network error, timeout, 5xx or an unreadable answer. */
  | { kind: 'unreachable'; status?: number; message: string };

/** The outcome of a drain request. */
export type DrainOutcome = { kind: 'ok'; state: string } | { kind: 'failed'; status?: number; message: string };

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A registration answer, or what is wrong with it. */
function readRegistration(body: unknown): Registration | string {
  if (!isRecord(body)) return 'not a JSON object';
  if (!nonEmpty(body.name)) return 'name: expected a non-empty string';
  if (!nonEmpty(body.token)) return 'token: expected a non-empty string';
  const interval = body.heartbeatInterval;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) return 'heartbeatInterval: expected a positive number';
  return { name: body.name, token: body.token, heartbeatIntervalMs: interval };
}

/** The `state` of a heartbeat or drain answer, or undefined. */
function readState(body: unknown): string | undefined {
  return isRecord(body) && nonEmpty(body.state) ? body.state : undefined;
}

/** The `{error: {code?, message, field?}}` of an error answer, or undefined. */
function readError(body: unknown): { code?: string; message: string; field?: string } | undefined {
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(error) || typeof error.message !== 'string') return undefined;
  if (error.code !== undefined && typeof error.code !== 'string') return undefined;
  if (error.field !== undefined && typeof error.field !== 'string') return undefined;
  return { message: error.message, ...(error.code === undefined ? {} : { code: error.code }), ...(error.field === undefined ? {} : { field: error.field }) };
}

/** A server answer with its body already read and parsed (undefined when not JSON). */
export interface Answer {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

/** Maps a registration answer to the agent's next step. */
export function classifyRegister(answer: Answer): RegisterOutcome {
  const { status } = answer;
  if (status === 200 || status === 201) {
    const registration = readRegistration(answer.body);
    if (typeof registration === 'string') return { kind: 'retry', status, message: `unreadable registration answer: ${registration}` };
    return { kind: 'registered', registration };
  }
  const message = describeError(answer);
  if (status === 400 || status === 409) return { kind: 'fatal', status, message };
  return { kind: 'retry', status, message, ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }) };
}

/** Maps a heartbeat answer to the agent's next step. */
export function classifyHeartbeat(answer: Answer): HeartbeatOutcome {
  const { status } = answer;
  const message = describeError(answer);
  if (status === 200) {
    const state = readState(answer.body);
    return state !== undefined ? { kind: 'ok', state } : { kind: 'unreachable', status, message: 'unreadable heartbeat answer' };
  }
  if (status === 404 || status === 401 || status === 403) return { kind: 'reregister', status, message };
  if (status === 429) return { kind: 'throttled', message, ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }) };
  if (status >= 400 && status < 500) return { kind: 'rejected', status, message };
  return { kind: 'unreachable', status, message };
}

/** Maps a drain answer to its outcome. */
export function classifyDrain(answer: Answer): DrainOutcome {
  if (answer.status === 200) {
    const state = readState(answer.body);
    if (state !== undefined) return { kind: 'ok', state };
  }
  return { kind: 'failed', status: answer.status, message: describeError(answer) };
}

/** A one-line description of an error answer: `409 XP_ERR_CONFLICT: name taken (field name)`. */
export function describeError(answer: Answer): string {
  const error = readError(answer.body);
  if (!error) return `HTTP ${answer.status}`;
  const { code, message, field } = error;
  return `${answer.status}${code ? ` ${code}` : ''}: ${message}${field ? ` (field ${field})` : ''}`;
}

/** Options for NodeApi. */
export interface NodeApiOptions {
  /** Base URL of the xplane server, e.g. `http://127.0.0.1:7070`. */
  server: string;
  fetch: FetchLike;
  /** Longest wait for one answer (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** Calls the three node routes; never throws for HTTP or network failures. */
export class NodeApi {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: NodeApiOptions) {
    this.base = options.server.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** POST /v1/nodes/register with the bootstrap token. */
  async register(bootstrapToken: string, request: RegisterRequest, signal?: AbortSignal): Promise<RegisterOutcome> {
    const answer = await this.post('/v1/nodes/register', bootstrapToken, request, signal);
    return 'error' in answer ? { kind: 'retry', message: answer.error } : classifyRegister(answer);
  }

  /** POST /v1/nodes/heartbeat with the node token. */
  async heartbeat(nodeToken: string, name: string, stats: NodeStats, signal?: AbortSignal): Promise<HeartbeatOutcome> {
    const answer = await this.post('/v1/nodes/heartbeat', nodeToken, { name, ...stats }, signal);
    return 'error' in answer ? { kind: 'unreachable', message: answer.error } : classifyHeartbeat(answer);
  }

  /** POST /v1/nodes/drain with the node token. */
  async drain(nodeToken: string, name: string, signal?: AbortSignal): Promise<DrainOutcome> {
    const answer = await this.post('/v1/nodes/drain', nodeToken, { name }, signal);
    return 'error' in answer ? { kind: 'failed', message: answer.error } : classifyDrain(answer);
  }

  private async post(path: string, token: string, body: unknown, signal?: AbortSignal): Promise<Answer | { error: string }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await this.options.fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      // Always read the body so the keep-alive connection is released.
      const text = await res.text();
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      return { status: res.status, body: parseJson(text), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    } catch (err) {
      return { error: describeFetchError(err) };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// undici hides the useful part ("ECONNREFUSED 127.0.0.1:7070") in `cause`.
function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  return cause === undefined ? errorText(err) : `${errorText(err)}: ${errorText(cause)}`;
}
