// A small load generator for the local playground: each request resolves the
// service's name through a DNS server (the embedded one by default), as a
// client would, and sends HTTP to the address it got. It reports per second
// what it sent and which nodes answered, so a user watches the loop move
// traffic.
import { Resolver } from 'node:dns/promises';
import { request } from 'node:http';

/** Options of a load run. */
export interface LoadOptions {
  /** The name to resolve, e.g. api.svc.plus. */
  name: string;
  /** The DNS server, host:port. */
  dns: string;
  /** The port to send HTTP to. */
  port: number;
  qps: number;
  /** Stop after this many ms (undefined: until `signal` aborts). */
  durationMs?: number;
  signal?: AbortSignal;
  /** Called once per second with the last second's figures. */
  onSecond: (second: LoadSecond) => void;
}

/** One second of a load run. */
export interface LoadSecond {
  sent: number;
  ok: number;
  failed: number;
  /** Answers per node address. */
  byAddress: Record<string, number>;
  /** Mean latency of the successful requests, ms. */
  meanMs: number | null;
}

/** The totals of a run. */
export interface LoadTotals {
  sent: number;
  ok: number;
  failed: number;
  byAddress: Record<string, number>;
}

function get(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 500) < 500));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Sends `qps` requests per second until the duration ends or the signal aborts. */
export async function runLoad(opts: LoadOptions): Promise<LoadTotals> {
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([opts.dns]);
  const totals: LoadTotals = { sent: 0, ok: 0, failed: 0, byAddress: {} };
  let second: LoadSecond = { sent: 0, ok: 0, failed: 0, byAddress: {}, meanMs: null };
  let latencySum = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  const ticker = setInterval(() => {
    opts.onSecond({ ...second, meanMs: second.ok > 0 ? Math.round((latencySum / second.ok) * 10) / 10 : null });
    second = { sent: 0, ok: 0, failed: 0, byAddress: {}, meanMs: null };
    latencySum = 0;
  }, 1_000);
  const gap = 1_000 / opts.qps;
  try {
    for (let i = 0; ; i += 1) {
      if (opts.signal?.aborted) break;
      if (opts.durationMs !== undefined && Date.now() - started >= opts.durationMs) break;
      const due = started + i * gap;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Never more than a second's worth in flight: a dead target must not pile up sockets.
      if (inFlight.size >= opts.qps) continue;
      const one = (async () => {
        const t0 = performance.now();
        second.sent += 1;
        totals.sent += 1;
        let address = 'unresolved';
        let ok: boolean;
        try {
          [address = 'unresolved'] = await resolver.resolve4(opts.name);
          ok = await get(address, opts.port, 2_000);
        } catch {
          ok = false;
        }
        if (ok) {
          second.ok += 1;
          totals.ok += 1;
          latencySum += performance.now() - t0;
        } else {
          second.failed += 1;
          totals.failed += 1;
        }
        second.byAddress[address] = (second.byAddress[address] ?? 0) + 1;
        totals.byAddress[address] = (totals.byAddress[address] ?? 0) + 1;
      })();
      inFlight.add(one);
      void one.finally(() => inFlight.delete(one));
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    resolver.cancel();
  }
  return totals;
}
