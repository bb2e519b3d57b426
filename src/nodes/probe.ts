// One active health probe of one node. The result separates hard failures (nothing is
// listening: mark down at once) from soft ones (slow or unhappy: count towards `fall`).
import { errorText } from '../errors.js';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthCheck } from '../config/index.js';

/** The result of one probe; `hard` only when ok is false and the node is certainly not serving. */
export interface ProbeOutcome {
  ok: boolean;
  hard: boolean;
  detail: string;
  ms: number;
}

// Errors that mean no process is accepting connections at the address, or the route is gone.
const HARD: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'broken pipe',
};

/** Probes `host` once as the health block says; never rejects, and leaves no socket or timer behind. */
export function probeOnce(host: string, health: HealthCheck): Promise<ProbeOutcome> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  try {
    return health.type === 'tcp' ? probeTcp(bare, health) : probeHttp(bare, health);
  } catch (err) {
    // A bad port or host throws synchronously; that is the node's configuration failing, not the prober.
    return Promise.resolve({ ok: false, hard: false, detail: classify(err).detail, ms: 0 });
  }
}

// Settles once, whichever of the timer, the response or an error comes first, and runs the
// cleanup so nothing keeps the event loop busy after the outcome is known.
function settler(
  timeoutMs: number,
  cleanup: () => void,
): {
  done: Promise<ProbeOutcome>;
  finish: (ok: boolean, hard: boolean, detail: string) => void;
  fail: (err: unknown) => void;
} {
  const started = performance.now();
  let resolve: (o: ProbeOutcome) => void = () => {};
  const done = new Promise<ProbeOutcome>((r) => (resolve = r));
  let settled = false;
  const finish = (ok: boolean, hard: boolean, detail: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    cleanup();
    resolve({ ok, hard, detail, ms: Math.round(performance.now() - started) });
  };
  const timer = setTimeout(() => finish(false, false, `timeout after ${timeoutMs} ms`), timeoutMs);
  const fail = (err: unknown): void => {
    const c = classify(err);
    finish(false, c.hard, c.detail);
  };
  return { done, finish, fail };
}

function classify(err: unknown): { hard: boolean; detail: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const hard = HARD[code];
  if (hard) return { hard: true, detail: hard };
  const message = errorText(err);
  return { hard: false, detail: code && !message.includes(code) ? `${code}: ${message}` : message };
}

function probeHttp(host: string, health: HealthCheck): Promise<ProbeOutcome> {
  const path = health.path.startsWith('/') ? health.path : `/${health.path}`;
  const hostHeader = host.includes(':') ? `[${host}]:${health.port}` : `${host}:${health.port}`;
  // agent: false gives a fresh socket that is closed after the response: a pooled keep-alive
  // connection would hide a node that stopped accepting new connections.
  const req = request({
    host,
    port: health.port,
    path,
    method: 'GET',
    agent: false,
    headers: { host: hostHeader, connection: 'close', 'user-agent': 'xplane-probe' },
  });
  const s = settler(health.timeout, () => req.destroy());
  req.on('error', s.fail);
  req.on('response', (res) => {
    res.on('error', s.fail);
    const status = res.statusCode ?? 0;
    // The timeout covers the whole body: a node that sends headers and then stalls is not healthy.
    res.on('end', () => (status >= 200 && status < 400 ? s.finish(true, false, `status ${status}`) : s.finish(false, false, `status ${status}`)));
    // A body cut short is a reset; after 'end' this is a no-op because the probe has settled.
    res.on('close', () => s.finish(false, true, 'connection reset'));
    res.resume();
  });
  req.end();
  return s.done;
}

function probeTcp(host: string, health: HealthCheck): Promise<ProbeOutcome> {
  const socket = connect({ host, port: health.port });
  const s = settler(health.timeout, () => socket.destroy());
  socket.on('error', s.fail);
  socket.on('connect', () => s.finish(true, false, 'connected'));
  return s.done;
}
