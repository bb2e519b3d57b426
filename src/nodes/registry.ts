// The node registry: every node's identity, liveness and recent metrics.
// Liveness lives in memory, because heartbeats arrive by the thousand per
// second; state changes are persisted within a second, heartbeat-only
// updates in larger batches. After a restart the registry is loaded back
// from the store and nodes keep their state, with a fresh grace period to
// heartbeat again — a control-plane restart must not mark a healthy fleet
// down. Until the new term hears from or about a loaded node, its observation
// says `loaded`: the controllers do not act on the last term's word alone
// (contract §3, "Exclusion needs evidence").
import type { Declarations, HealthCheck } from '../config/index.js';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { NodeEvent, NodeFilter, NodeMetrics, NodeRecord, NodeState, Store, WriteFence } from '../store/index.js';
import { isValidAddress, splitAddress } from './address.js';
import { initialLiveness, step, type Liveness, type LivenessEvent, type Transition } from './liveness.js';
import { MetricsWindow, RegionSum, type AverageCell, type RegionMetrics, type WindowAverage } from './metrics-window.js';
import type { ProbeOutcome } from './probe.js';
import type { ProbeTarget } from './prober.js';
import { hashToken, hashesEqual, newToken } from './tokens.js';

/** Health settings for a service without a gtm file: heartbeats only, no active probe. */
export const DEFAULT_HEALTH: HealthCheck = { type: 'http', path: '/healthz', port: 8080, interval: 5_000, timeout: 2_000, rise: 2, fall: 3 };
/** Metrics window for a service without an autoscale file. */
export const DEFAULT_WINDOW_MS = 60_000;

/** What an agent sends to register. */
export interface RegisterInput {
  service: string;
  region: string;
  address: string;
  name?: string;
  labels?: Record<string, string>;
}

/** What a registered agent gets back; the token is shown only here. */
export interface Registration {
  name: string;
  token: string;
  /** Milliseconds between heartbeats. */
  heartbeatInterval: number;
}

/** What an agent reports in a heartbeat. */
export interface HeartbeatInput {
  name: string;
  cpu: number;
  mem?: number;
  qps?: number;
  errorRate?: number;
  rttMs?: number;
}

/** A node as the API shows it. */
export interface NodeView {
  name: string;
  service: string;
  region: string;
  address: string;
  labels: Record<string, string>;
  state: NodeState;
  stateSince: string;
  registeredAt: string;
  lastHeartbeat: string | null;
  cpu: number | null;
  mem: number | null;
  qps: number | null;
  errorRate: number | null;
  rttMs: number | null;
}

/** A node's state and windowed metrics as a controller pass sees them. */
export interface NodeObservationFacts {
  name: string;
  state: NodeState;
  stateSince: number;
  /** When the loop first saw the name in a pool (the caller's, passed through). */
  addedAt: number;
  /** The state is the store's word from before this term: nothing heard of the node since it was loaded. */
  loaded: boolean;
  cpu: number | null;
  rttMs: number | null;
  errorRate: number | null;
}

/** A state change, as published to listeners (controllers trigger on these). */
export interface NodeTransition extends Transition {
  node: string;
  service: string;
  region: string;
  at: number;
}

/** Dependencies and tuning of the registry. */
export interface RegistryOptions {
  store: Store;
  log: Logger;
  /** The declarations in force (health checks, metric windows, known services). */
  config: () => Declarations | undefined;
  /** Wall clock for records and events (default Date.now). */
  now?: () => number;
  /**
   * Clock for heartbeat timeouts (default performance.now; `now` when only that is given).
   * A wall-clock step (NTP, a resumed VM) must not take a healthy fleet down or keep a dead node up.
   */
  monotonic?: () => number;
  /** How often state changes are persisted (default 1 s). */
  flushStateMs?: number;
  /** How often heartbeat-only updates are persisted (default 15 s). */
  flushBeatsMs?: number;
  /** Whether an active prober feeds `applyProbe` (default true); without one, heartbeats count as passes. */
  probing?: boolean;
  /** Whether this replica may write nodes now (default: always); a replica that lost the lead must not overwrite the new leader's. */
  mayPersist?: () => boolean;
  /**
   * The lease every write rests on (default: none): the store refuses, in the write's own
   * transaction, what a leader paused past its lease still tries to write.
   */
  fence?: () => WriteFence | undefined;
}

interface LiveNode {
  record: NodeRecord;
  liveness: Liveness;
  window: MetricsWindow;
  /** Last sign of life for the heartbeat timeout, on the monotonic clock: a heartbeat, or the registry's start. */
  lastSeen: number;
  /** Outcome of the last active probe, null before the first. */
  lastProbeOk: boolean | null;
  /**
   * Whether this term has heard from or about the node (a registration, heartbeat, probe or
   * timeout). False for a node loaded from the store until then: its state is the last term's word.
   */
  heard: boolean;
}

const NODE_NAME = /^(.+)-([1-9][0-9]*)$/;
/** Nodes written per store transaction when persisting. */
const FLUSH_CHUNK = 250;

/** The node registry; see the file comment. */
export class NodeRegistry {
  private readonly nodes = new Map<string, LiveNode>();
  private readonly byToken = new Map<string, string>();
  /**
   * Names of the nodes not deleted, per pool (`poolKey`), in registration
   * order: regionMetrics runs for every (service, region) each pass and must
   * not scan the whole fleet each time. A node's pool never changes.
   */
  private readonly byPool = new Map<string, Set<string>>();
  /** Highest `n` seen per `<region>-<service>-` prefix, so names only grow. */
  private readonly maxOrdinal = new Map<string, number>();
  private readonly stateDirty = new Set<string>();
  private readonly beatDirty = new Set<string>();
  private pendingEvents: NodeEvent[] = [];
  private readonly listeners = new Set<(t: NodeTransition) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private heartbeats = 0;
  private readonly regionSum = new RegionSum();

  constructor(private readonly opts: RegistryOptions) {}

  /** Heartbeats accepted since start. */
  get heartbeatCount(): number {
    return this.heartbeats;
  }

  /**
   * Loads nodes from the store; each keeps its state and gets a full grace period to heartbeat.
   * Each is `loaded` (the last term's word) until the registry hears of it, unless `asCurrent`:
   * for a reader with no term of its own (`xplane plan`), the stored states are the news.
   */
  async load(options: { asCurrent?: boolean } = {}): Promise<void> {
    const now = this.now();
    for (const record of await this.opts.store.listNodes()) {
      const live: LiveNode = {
        record,
        liveness: { state: record.state, passes: 0, fails: 0, since: record.stateSince },
        window: new MetricsWindow(this.windowMs(record.service)),
        lastSeen: this.monotonic(),
        lastProbeOk: null,
        heard: options.asCurrent === true,
      };
      this.nodes.set(record.name, live);
      this.noteName(record.name);
      if (record.state !== 'deleted') {
        this.byToken.set(record.tokenHash, record.name);
        this.index(record);
      }
    }
    this.opts.log.info({ nodes: this.nodes.size }, `registry: loaded ${this.nodes.size} nodes`);
  }

  /** Starts the heartbeat-timeout sweep and the persistence timers. */
  start(): void {
    const stateMs = this.opts.flushStateMs ?? 1_000;
    this.timers.push(
      setInterval(() => this.sweep(), 500),
      setInterval(() => void this.flush('state'), stateMs),
      setInterval(() => void this.flush('all'), this.opts.flushBeatsMs ?? 15_000),
    );
    for (const t of this.timers) t.unref();
  }

  /** Stops the timers and persists everything. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.flush('all');
  }

  /** Stops the timers and forgets every node without writing: the store is another leader's now. */
  async reset(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.flushing;
    this.nodes.clear();
    this.byToken.clear();
    this.byPool.clear();
    this.maxOrdinal.clear();
    this.stateDirty.clear();
    this.beatDirty.clear();
    this.pendingEvents = [];
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onTransition(listener: (t: NodeTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers (or re-registers) a node and issues its heartbeat token. */
  register(input: RegisterInput): Registration {
    const config = this.opts.config();
    if (config) {
      if (!config.gtm[input.service] && !config.autoscale[input.service]) {
        throw badRequest('service', `service "${input.service}" is not declared in platform-config/gtm or platform-config/autoscale`);
      }
      if (!config.regions[input.region]) throw badRequest('region', `region "${input.region}" is not declared in platform-config/regions`);
    }
    if (!isValidAddress(input.address)) throw badRequest('address', `address must be an IP or IP:port, got "${input.address}"`);
    const prefix = `${input.region}-${input.service}-`;
    let name = input.name;
    if (name !== undefined) {
      const match = NODE_NAME.exec(name);
      if (!name.startsWith(prefix) || !match || match[1] !== prefix.slice(0, -1)) {
        throw badRequest('name', `name must be ${prefix}<n> for service ${input.service} in region ${input.region}, got "${name}"`);
      }
    } else {
      name = `${prefix}${this.nextOrdinal(prefix)}`;
    }
    const now = this.now();
    const existing = this.nodes.get(name);
    if (existing?.record.state === 'deleted') throw conflict(`node ${name} was deleted; names are never reused`, 'name');
    const token = newToken();
    const tokenHash = hashToken(token);
    const record: NodeRecord = {
      name,
      service: input.service,
      region: input.region,
      address: input.address,
      labels: input.labels ?? {},
      state: existing?.record.state ?? 'warm',
      stateSince: existing?.record.stateSince ?? now,
      tokenHash,
      registeredAt: now,
      lastHeartbeat: existing?.record.lastHeartbeat ?? null,
      metrics: existing?.record.metrics ?? null,
    };
    if (existing) this.byToken.delete(existing.record.tokenHash);
    // The name fixes the pool, except when hyphens make it ambiguous (region `a-b` + service `c`, region `a` + service `b-c`).
    if (existing && (existing.record.service !== input.service || existing.record.region !== input.region)) this.unindex(existing.record);
    const live: LiveNode = existing
      ? { ...existing, record }
      : { record, liveness: initialLiveness(now), window: new MetricsWindow(this.windowMs(input.service)), lastSeen: 0, lastProbeOk: null, heard: true };
    live.lastSeen = this.monotonic();
    live.heard = true;
    this.nodes.set(name, live);
    this.noteName(name);
    this.byToken.set(tokenHash, name);
    this.index(record);
    if (existing) this.apply(live, { kind: 'register' }, now);
    else this.recordTransitions(live, [{ from: 'warm', to: 'warm', cause: `registered from ${input.address}` }], now, true);
    this.stateDirty.add(name);
    this.opts.log.info({ node: name, address: input.address, again: existing !== undefined }, `registry: ${name} registered`);
    return { name, token, heartbeatInterval: this.health(input.service).interval };
  }

  /** Accepts a heartbeat authenticated by the node's token; returns the node's state. */
  heartbeat(token: string, input: HeartbeatInput): NodeState {
    const live = this.nodes.get(input.name);
    if (!live || live.record.state === 'deleted') throw notFound(`unknown node ${input.name}`);
    this.authenticate(live, token);
    const now = this.now();
    const metrics: NodeMetrics = {
      cpu: input.cpu,
      mem: input.mem ?? null,
      qps: input.qps ?? null,
      errorRate: input.errorRate ?? null,
      rttMs: input.rttMs ?? null,
    };
    live.record.metrics = metrics;
    live.record.lastHeartbeat = now;
    live.lastSeen = this.monotonic();
    live.heard = true;
    live.window.add(now, { cpu: metrics.cpu, qps: metrics.qps, errorRate: metrics.errorRate, rttMs: metrics.rttMs });
    this.heartbeats += 1;
    this.beatDirty.add(input.name);
    const probed = this.probed(live.record.service);
    // A node the prober took down stays down until a probe passes: its agent
    // being alive does not mean it serves.
    if (!(probed && live.record.state === 'down' && live.lastProbeOk === false)) {
      this.apply(live, { kind: 'heartbeat', countsAsPass: !probed }, now);
    }
    return live.record.state;
  }

  /** Moves a node to `drain` (admin, or the node itself with its token); returns its state. */
  drain(name: string, byNodeToken?: string): NodeState {
    const live = this.nodes.get(name);
    if (!live || live.record.state === 'deleted') throw notFound(`unknown node ${name}`);
    if (byNodeToken !== undefined) this.authenticate(live, byNodeToken);
    this.apply(live, { kind: 'drain' }, this.now(), byNodeToken === undefined ? 'drained by admin' : 'drain requested by the node');
    return live.record.state;
  }

  /** True when `token` is the heartbeat token of a live node. */
  isNodeToken(token: string): boolean {
    return this.byToken.has(hashToken(token));
  }

  /** Marks a node deleted (it left the desired node list); its token stops working. */
  delete(name: string, cause: string): void {
    const live = this.nodes.get(name);
    if (!live) return;
    this.apply(live, { kind: 'delete' }, this.now(), cause);
    this.byToken.delete(live.record.tokenHash);
    this.unindex(live.record);
  }

  /** Feeds an active probe's outcome into the node's state machine. */
  applyProbe(name: string, outcome: ProbeOutcome): void {
    const live = this.nodes.get(name);
    if (!live) return;
    live.lastProbeOk = outcome.ok;
    live.heard = true;
    const now = this.now();
    const h = this.health(live.record.service);
    // A node down for lack of heartbeats stays down until its agent is back,
    // even if something still answers its health port.
    if (outcome.ok && live.record.state === 'down' && this.monotonic() - live.lastSeen > h.fall * h.interval) return;
    const event: LivenessEvent = outcome.ok ? { kind: 'probe', ok: true } : { kind: 'probe', ok: false, hard: outcome.hard, detail: outcome.detail };
    this.apply(live, event, now);
  }

  /**
   * Marks nodes down whose heartbeats stopped for fall × interval. A node loaded from the store
   * that stays silent that long is heard of too: the silence is this term's evidence.
   */
  sweep(): void {
    const now = this.now();
    const mono = this.monotonic();
    for (const live of this.nodes.values()) {
      const s = live.record.state;
      if (s !== 'warm' && s !== 'active' && (live.heard || s !== 'down')) continue;
      const h = this.health(live.record.service);
      const silent = mono - live.lastSeen;
      if (silent > h.fall * h.interval) {
        live.heard = true;
        this.apply(live, { kind: 'heartbeat-timeout' }, now, `no heartbeat for ${Math.round(silent / 1000)}s (fall ${h.fall} × interval ${h.interval / 1000}s)`);
      }
    }
  }

  /** Nodes the prober should check: every live node of a service with a gtm health block. */
  probeTargets(): ProbeTarget[] {
    if (this.opts.probing === false) return [];
    const config = this.opts.config();
    const targets: ProbeTarget[] = [];
    for (const live of this.nodes.values()) {
      const s = live.record.state;
      if (s === 'deleted' || s === 'drain') continue;
      const gtm = config?.gtm[live.record.service];
      if (!gtm) continue;
      targets.push({ name: live.record.name, host: splitAddress(live.record.address).host, health: gtm.health });
    }
    return targets;
  }

  /** One node as the API shows it. */
  get(name: string): NodeView | undefined {
    const live = this.nodes.get(name);
    return live && view(live.record);
  }

  /** The raw record of a node (controllers use it). */
  record(name: string): NodeRecord | undefined {
    return this.nodes.get(name)?.record;
  }

  /** Nodes matching a filter, by name; deleted nodes only when the filter asks for them. */
  list(filter: NodeFilter = {}): NodeView[] {
    return this.records(filter).map(view);
  }

  /** Raw records matching a filter, by name. */
  records(filter: NodeFilter = {}): NodeRecord[] {
    const out: NodeRecord[] = [];
    for (const { record } of this.nodes.values()) {
      if (filter.service !== undefined && record.service !== filter.service) continue;
      if (filter.region !== undefined && record.region !== filter.region) continue;
      if (filter.state !== undefined ? record.state !== filter.state : record.state === 'deleted') continue;
      out.push(record);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Windowed metrics of a service's active nodes in a region, or 'stale' when none reported recently. */
  regionMetrics(service: string, region: string, now = this.now()): RegionMetrics | 'stale' {
    const names = this.byPool.get(poolKey(service, region));
    if (!names) return 'stale';
    const windowMs = this.windowMs(service);
    // One running sum for every call: this runs for each (service, region) of every pass.
    const sum = this.regionSum.reset();
    for (const name of names) {
      const live = this.nodes.get(name);
      if (!live || live.record.state !== 'active') continue;
      const a = this.averageOf(live, now, windowMs);
      if (a.samples > 0) sum.add(a.cpu, a.hasQps ? a.qps : null, a.hasErrorRate ? a.errorRate : null, a.hasRttMs ? a.rttMs : null);
    }
    return sum.result();
  }

  /** Windowed metrics of one node, or null when stale. */
  nodeMetrics(name: string, now = this.now()): WindowAverage | null {
    const live = this.nodes.get(name);
    if (!live) return null;
    live.window.resize(this.windowMs(live.record.service));
    return live.window.average(now);
  }

  /**
   * What a controller pass sees of one node: its state and windowed metrics (null when stale), in
   * one lookup; undefined when never registered. `addedAt` is the loop's own memory of when the name
   * appeared in a pool, carried into the answer so a pass builds one object per node, not two.
   */
  observation(name: string, now: number, addedAt: number): NodeObservationFacts | undefined {
    const live = this.nodes.get(name);
    if (!live) return undefined;
    const a = this.averageOf(live, now);
    const fresh = a.samples > 0;
    return {
      name,
      state: live.record.state,
      stateSince: live.record.stateSince,
      addedAt,
      loaded: !live.heard,
      cpu: fresh ? a.cpu : null,
      rttMs: fresh && a.hasRttMs ? a.rttMs : null,
      errorRate: fresh && a.hasErrorRate ? a.errorRate : null,
    };
  }

  /** Count of nodes per (service, region, state), for metrics. */
  counts(): { service: string; region: string; state: NodeState; count: number }[] {
    const counts = new Map<string, { service: string; region: string; state: NodeState; count: number }>();
    for (const { record: r } of this.nodes.values()) {
      const key = `${r.service}\0${r.region}\0${r.state}`;
      const entry = counts.get(key) ?? { service: r.service, region: r.region, state: r.state, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /**
   * Persists pending state changes now and rejects when the store refused them (they stay
   * queued for the next flush): for callers that must not go on until they are stored.
   */
  async persistState(): Promise<void> {
    let failure: unknown;
    this.flushing = this.flushing.then(() => this.writeOut('state')).catch((err: unknown) => {
      failure = err;
      this.opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'registry: persisting nodes failed; will retry');
    });
    await this.flushing;
    if (failure !== undefined) throw failure;
  }

  /** Persists pending changes: state changes and events, or everything. */
  flush(what: 'state' | 'all' = 'all'): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeOut(what)).catch((err: unknown) => {
      this.opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'registry: persisting nodes failed; will retry');
    });
    return this.flushing;
  }

  private async writeOut(what: 'state' | 'all'): Promise<void> {
    if (this.opts.mayPersist?.() === false) return;
    const names = new Set(this.stateDirty);
    if (what === 'all') for (const n of this.beatDirty) names.add(n);
    const events = this.pendingEvents;
    if (names.size === 0 && events.length === 0) return;
    const records = [...names].flatMap((n) => {
      const live = this.nodes.get(n);
      return live ? [{ ...live.record }] : [];
    });
    this.pendingEvents = [];
    for (const n of names) {
      this.stateDirty.delete(n);
      this.beatDirty.delete(n);
    }
    const fence = this.opts.fence?.();
    try {
      // Small transactions with a yield between them: SQLite writes block the
      // event loop, and one 10,000-row transaction would stall every heartbeat.
      for (let i = 0; i < records.length; i += FLUSH_CHUNK) {
        await this.opts.store.upsertNodes(records.slice(i, i + FLUSH_CHUNK), fence);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await this.opts.store.appendNodeEvents(events, fence);
    } catch (err) {
      // Nothing is lost: put everything back for the next flush.
      for (const r of records) this.stateDirty.add(r.name);
      this.pendingEvents = events.concat(this.pendingEvents);
      throw err;
    }
  }

  private authenticate(live: LiveNode, token: string): void {
    const hash = hashToken(token);
    if (hashesEqual(hash, live.record.tokenHash)) return;
    const owner = this.byToken.get(hash);
    if (owner !== undefined) throw forbidden(`this token belongs to node ${owner}, not ${live.record.name}`);
    throw unauthorized(`invalid token for node ${live.record.name}`);
  }

  private apply(live: LiveNode, event: LivenessEvent, now: number, cause?: string): void {
    const h = this.health(live.record.service);
    const { next, transitions } = step(live.liveness, event, { rise: h.rise, fall: h.fall }, now);
    live.liveness = next;
    if (transitions.length === 0) return;
    this.recordTransitions(
      live,
      transitions.map((t) => (cause ? { ...t, cause } : t)),
      now,
      false,
    );
  }

  private recordTransitions(live: LiveNode, transitions: Transition[], now: number, initial: boolean): void {
    const r = live.record;
    for (const t of transitions) {
      this.pendingEvents.push({ at: now, node: r.name, from: initial ? null : t.from, to: t.to, cause: t.cause });
      const published: NodeTransition = { ...t, node: r.name, service: r.service, region: r.region, at: now };
      this.opts.log.info({ node: r.name, from: t.from, to: t.to, cause: t.cause }, `registry: ${r.name} ${initial ? 'is' : `${t.from} →`} ${t.to} (${t.cause})`);
      for (const listener of this.listeners) {
        try {
          listener(published);
        } catch (err) {
          this.opts.log.error({ err: err instanceof Error ? err.message : String(err) }, 'registry: transition listener failed');
        }
      }
    }
    r.state = live.liveness.state;
    r.stateSince = live.liveness.since;
    this.stateDirty.add(r.name);
  }

  /** A node's window averages at `now` (the window's reused cell: read it at once), computed once per (now, window length, heartbeat). */
  private averageOf(live: LiveNode, now: number, windowMs = this.windowMs(live.record.service)): AverageCell {
    live.window.resize(windowMs);
    return live.window.averageCell(now);
  }

  private index(r: NodeRecord): void {
    const key = poolKey(r.service, r.region);
    let names = this.byPool.get(key);
    if (!names) this.byPool.set(key, (names = new Set()));
    names.add(r.name);
  }

  private unindex(r: NodeRecord): void {
    const key = poolKey(r.service, r.region);
    const names = this.byPool.get(key);
    names?.delete(r.name);
    if (names?.size === 0) this.byPool.delete(key);
  }

  /** The highest node number ever registered under `<region>-<service>-`. */
  highestOrdinal(region: string, service: string): number {
    return this.maxOrdinal.get(`${region}-${service}-`) ?? 0;
  }

  private nextOrdinal(prefix: string): number {
    return (this.maxOrdinal.get(prefix) ?? 0) + 1;
  }

  private noteName(name: string): void {
    const match = NODE_NAME.exec(name);
    if (!match) return;
    const prefix = `${match[1]}-`;
    const n = Number(match[2]);
    if (n > (this.maxOrdinal.get(prefix) ?? 0)) this.maxOrdinal.set(prefix, n);
  }

  private health(service: string): HealthCheck {
    return this.opts.config()?.gtm[service]?.health ?? DEFAULT_HEALTH;
  }

  private probed(service: string): boolean {
    return (this.opts.probing ?? true) && this.opts.config()?.gtm[service] !== undefined;
  }

  private windowMs(service: string): number {
    return this.opts.config()?.autoscale[service]?.global.cpu_window ?? DEFAULT_WINDOW_MS;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private monotonic(): number {
    return (this.opts.monotonic ?? this.opts.now ?? (() => performance.now()))();
  }
}

// NUL cannot occur in a declared name, so no two (service, region) pairs share a key.
const poolKey = (service: string, region: string): string => `${service}\0${region}`;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function view(r: NodeRecord): NodeView {
  return {
    name: r.name,
    service: r.service,
    region: r.region,
    address: r.address,
    labels: r.labels,
    state: r.state,
    stateSince: new Date(r.stateSince).toISOString(),
    registeredAt: new Date(r.registeredAt).toISOString(),
    lastHeartbeat: iso(r.lastHeartbeat),
    cpu: r.metrics?.cpu ?? null,
    mem: r.metrics?.mem ?? null,
    qps: r.metrics?.qps ?? null,
    errorRate: r.metrics?.errorRate ?? null,
    rttMs: r.metrics?.rttMs ?? null,
  };
}
