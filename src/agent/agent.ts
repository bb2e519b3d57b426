// The node agent: register (retrying with backoff), heartbeat at the
// server's interval, register again when the server forgets the node, and
// serve /healthz the whole time. Everything outside — the server, the
// stats, time — comes in through the constructor.
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentLog } from '../log/index.js';
import { parseAddress } from './address.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { listen, type NodeListener, type NodeRequestHandler } from './listener.js';
import { NodeApi, type FetchLike, type HeartbeatOutcome, type Registration } from './node-api.js';
import { sanitizeStats, type NodeStats, type StatsSource } from './stats.js';

/** Shortest heartbeat interval obeyed, so a misconfigured server cannot make the agent spin. */
export const MIN_HEARTBEAT_MS = 10;

/** Something a person or a script watching the agent wants to see. */
export type AgentEvent = { type: 'registered'; name: string; address: string } | { type: 'state'; name: string; state: string };

/** How the agent ended: stopped on request, or gave up on a configuration mistake. */
export type AgentResult = { ok: true } | { ok: false; reason: string };

/** Waits `ms`, returning early (without throwing) when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Everything the agent needs; only the first block is required. */
export interface AgentOptions {
  /** Base URL of the xplane server. */
  server: string;
  bootstrapToken: string;
  service: string;
  region: string;
  /** `ip:port` to listen on and to register; port 0 picks a free port (tests). */
  address: string;
  log: AgentLog;
  /** Measurements for each heartbeat. */
  stats: StatsSource;

  /** Name to ask for; afterwards the name the server gave is asked for again. */
  name?: string;
  labels?: Record<string, string>;
  /** Serves everything but /healthz (the simulated service); without it those paths answer 404. */
  handler?: NodeRequestHandler;
  /** Called on registration and on every state change. */
  onEvent?: (event: AgentEvent) => void;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** Registration retry bounds (default 1 s → 30 s). */
  backoff?: BackoffPolicy;
  random?: () => number;
  sleep?: Sleep;
  /** Wall clock, for Retry-After dates. */
  now?: () => number;
  /** Longest wait for one server answer (default 10 s). */
  requestTimeoutMs?: number;
  /** Longest wait for the drain answer when stopping (default 5 s). */
  drainTimeoutMs?: number;
}

const abortableSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined);

/** The node agent; see the file comment. */
export class Agent {
  private readonly api: NodeApi;
  private readonly sleep: Sleep;
  private readonly stopController = new AbortController();
  private nodeName: string | undefined;
  private registration: Registration | undefined;
  private lastState: string | undefined;
  private lastStats: NodeStats = { cpu: 0 };
  private failing: HeartbeatOutcome['kind'] | undefined;
  private statsFailing = false;
  private listener: NodeListener | undefined;
  private loop: Promise<void> = Promise.resolve();
  private finishing: Promise<AgentResult> | undefined;
  private resolveDone!: (result: AgentResult) => void;
  private readonly done = new Promise<AgentResult>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(private readonly options: AgentOptions) {
    this.nodeName = options.name;
    this.sleep = options.sleep ?? abortableSleep;
    this.api = new NodeApi({
      server: options.server,
      fetch: options.fetch ?? ((url, init) => fetch(url, init)),
      timeoutMs: options.requestTimeoutMs ?? 10_000,
      now: options.now ?? Date.now,
    });
  }

  /** The name registered (or, before that, asked for). */
  get name(): string | undefined {
    return this.nodeName;
  }

  /** The state from the last heartbeat answer. */
  get state(): string | undefined {
    return this.lastState;
  }

  /** The bound `ip:port`, once started. */
  get address(): string | undefined {
    return this.listener?.address;
  }

  /** Binds the listener (rejecting if it cannot) and starts registering in the background. */
  async start(): Promise<void> {
    if (this.listener || this.finishing) throw new Error('agent already started');
    const at = parseAddress(this.options.address);
    if (!at) throw new Error(`bad address "${this.options.address}": want ip:port`);
    this.listener = await listen(at, this.options.handler, () => this.nodeName);
    this.options.log.info({ address: this.listener.address }, `listening on ${this.listener.address}`);
    this.loop = this.run().then((fatal) => {
      if (fatal !== undefined) void this.finish({ ok: false, reason: fatal }, false);
    });
  }

  /** Resolves when the agent has ended, by stop() or by a configuration mistake. */
  wait(): Promise<AgentResult> {
    return this.done;
  }

  /** Stops heartbeating, optionally asks the server to drain the node first, and closes the listener. */
  stop(options: { drain?: boolean } = {}): Promise<AgentResult> {
    return this.finish({ ok: true }, options.drain ?? false);
  }

  private finish(result: AgentResult, drain: boolean): Promise<AgentResult> {
    this.finishing ??= (async () => {
      this.stopController.abort();
      await this.loop;
      if (drain) await this.drain();
      await this.listener?.close();
      this.resolveDone(result);
      return result;
    })();
    return this.finishing;
  }

  /** Returns a reason when registration is refused for good; undefined when stopped. */
  private async run(): Promise<string | undefined> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const registration = this.registration;
      if (!registration) {
        const fatal = await this.register(signal);
        if (fatal !== undefined) return fatal;
        continue;
      }
      const started = Date.now();
      const waitMs = await this.beat(registration, signal);
      await this.sleep(Math.max(0, waitMs - (Date.now() - started)), signal);
    }
    return undefined;
  }

  private async register(signal: AbortSignal): Promise<string | undefined> {
    const { log } = this.options;
    const address = this.listener?.address ?? this.options.address;
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      const outcome = await this.api.register(
        this.options.bootstrapToken,
        {
          service: this.options.service,
          region: this.options.region,
          address,
          ...(this.nodeName === undefined ? {} : { name: this.nodeName }),
          ...(this.options.labels === undefined ? {} : { labels: this.options.labels }),
        },
        signal,
      );
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the signal can abort while register() is pending
      if (signal.aborted) return undefined;
      switch (outcome.kind) {
        case 'registered': {
          const heartbeatIntervalMs = Math.max(MIN_HEARTBEAT_MS, outcome.registration.heartbeatIntervalMs);
          this.registration = { ...outcome.registration, heartbeatIntervalMs };
          this.nodeName = outcome.registration.name;
          this.lastState = undefined;
          this.failing = undefined;
          log.info({ node: this.nodeName, heartbeatIntervalMs }, `registered as ${this.nodeName}`);
          this.emit({ type: 'registered', name: this.nodeName, address });
          return undefined;
        }
        case 'fatal':
          log.error({ status: outcome.status }, `registration refused: ${outcome.message}`);
          return `registration refused: ${outcome.message}`;
        case 'retry': {
          const policy = this.options.backoff ?? DEFAULT_BACKOFF;
          const waitMs = outcome.retryAfterMs ?? backoffDelay(attempt, policy, this.options.random);
          log.warn({ status: outcome.status, attempt: attempt + 1, retryInMs: waitMs }, `registration failed (${outcome.message}); retrying in ${waitMs} ms`);
          await this.sleep(waitMs, signal);
        }
      }
    }
    return undefined;
  }

  /** Sends one heartbeat; returns how long to wait before the next. */
  private async beat(registration: Registration, signal: AbortSignal): Promise<number> {
    const { log } = this.options;
    const interval = registration.heartbeatIntervalMs;
    const outcome = await this.api.heartbeat(registration.token, registration.name, await this.sample(), signal);
    if (signal.aborted) return 0;
    if (outcome.kind === 'ok') {
      if (this.failing) log.info({ node: registration.name }, 'heartbeats accepted again');
      this.failing = undefined;
      this.noteState(registration.name, outcome.state);
      return interval;
    }
    if (outcome.kind === 'reregister') {
      log.warn({ node: registration.name, status: outcome.status }, `server no longer accepts this node (${outcome.message}); registering again`);
      this.registration = undefined;
      return 0;
    }
    // One log line per run of failures of the same kind, not one per beat.
    if (this.failing !== outcome.kind) {
      log.warn({ node: registration.name, problem: outcome.kind }, `heartbeat failed (${outcome.message}); retrying every ${interval} ms`);
      this.failing = outcome.kind;
    }
    return outcome.kind === 'throttled' ? Math.max(interval, outcome.retryAfterMs ?? 0) : interval;
  }

  private async sample(): Promise<NodeStats> {
    try {
      this.lastStats = sanitizeStats(await this.options.stats.sample());
      this.statsFailing = false;
    } catch (err) {
      // Still beat with the last reading: a node that cannot measure is still alive.
      if (!this.statsFailing) this.options.log.warn({ err }, 'cannot read node stats; reporting the last reading');
      this.statsFailing = true;
    }
    return this.lastStats;
  }

  private noteState(name: string, state: string): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.options.log.info({ node: name, state }, `state: ${state}`);
    this.emit({ type: 'state', name, state });
  }

  private async drain(): Promise<void> {
    const registration = this.registration;
    if (!registration) return;
    const { log } = this.options;
    const outcome = await this.api.drain(registration.token, registration.name, AbortSignal.timeout(this.options.drainTimeoutMs ?? 5_000));
    if (outcome.kind === 'ok') this.noteState(registration.name, outcome.state);
    else log.warn({ node: registration.name, status: outcome.status }, `drain request failed (${outcome.message}); stopping anyway`);
  }

  private emit(event: AgentEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.options.log.warn({ err }, 'agent event listener threw');
    }
  }
}
