// --simulate-load: the playground has no real service behind its nodes, so
// the agent serves a tiny one itself and reports load derived from the
// requests it answers. Sending traffic to a node then moves its CPU the
// way the autoscaler and GTM expect, with no real work done.
import { performance } from 'node:perf_hooks';
import type { NodeRequestHandler } from './listener.js';
import { fraction, type NodeStats, type StatsSource } from './stats.js';

/** Requests per second that count as 100% CPU when --capacity is not given. */
export const DEFAULT_CAPACITY = 100;

/** What was served between two heartbeats. */
export interface LoadWindow {
  requests: number;
  /** Responses with a 5xx status. */
  errors: number;
  /** Sum of the times taken to serve the requests. */
  serveMsTotal: number;
  /** Length of the window. */
  elapsedMs: number;
}

/**
 * Heartbeat stats for one window: qps = requests/s, cpu = min(1, qps/capacity),
 * errorRate = share of 5xx, rttMs = mean serve time (0 when nothing was served).
 * mem is left out: playground nodes share one host, so its memory says nothing about a node.
 */
export function loadStats(window: LoadWindow, capacity: number): NodeStats {
  const qps = window.elapsedMs > 0 ? window.requests / (window.elapsedMs / 1000) : 0;
  return {
    cpu: capacity > 0 ? fraction(qps / capacity) : 1,
    qps,
    errorRate: window.requests > 0 ? fraction(window.errors / window.requests) : 0,
    rttMs: window.requests > 0 ? Math.max(0, window.serveMsTotal / window.requests) : 0,
  };
}

/** Options for LoadSimulator. */
export interface LoadSimulatorOptions {
  /** Requests/s at 100% CPU (default DEFAULT_CAPACITY). */
  capacity?: number;
  /** Monotonic milliseconds; replaceable in tests. */
  now?: () => number;
}

/** Serves the simulated service and turns what it served into heartbeat stats. */
export class LoadSimulator implements StatsSource {
  private readonly capacity: number;
  private readonly now: () => number;
  private windowStart: number;
  private requests = 0;
  private errors = 0;
  private serveMsTotal = 0;

  constructor(options: LoadSimulatorOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.now = options.now ?? (() => performance.now());
    this.windowStart = this.now();
  }

  /** Answers any request with 200 `{"node": name}` and records it when the response is done. */
  readonly handle: NodeRequestHandler = (req, res, node) => {
    const started = this.now();
    res.on('finish', () => {
      this.requests += 1;
      if (res.statusCode >= 500) this.errors += 1;
      this.serveMsTotal += this.now() - started;
    });
    // The request body is not used, but it must be drained for keep-alive.
    req.resume();
    const body = JSON.stringify({ node: node ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** Stats for the requests served since the previous sample; starts a new window. */
  sample(): NodeStats {
    const now = this.now();
    const stats = loadStats(
      { requests: this.requests, errors: this.errors, serveMsTotal: this.serveMsTotal, elapsedMs: now - this.windowStart },
      this.capacity,
    );
    this.windowStart = now;
    this.requests = 0;
    this.errors = 0;
    this.serveMsTotal = 0;
    return stats;
  }
}
