// The node registry: every node's identity, liveness and recent metrics.
// Liveness lives in memory, because heartbeats arrive by the thousand per
// second; state changes are persisted within a second, heartbeat-only
// updates in larger batches. After a restart the registry is loaded back
// from the store and nodes keep their state, with a fresh grace period to
// heartbeat again — a control-plane restart must not mark a healthy fleet
// down. Until the new term hears from or about a loaded node, its observation
// says `loaded`: the controllers do not act on the last term's word alone
// (contract §3, "Exclusion needs evidence").
//
// This class is the face the rest of xplane calls; each job is a unit of its
// own: Registrar (checks, names, tokens), LivenessTracker (state changes, the
// heartbeat timeout), FleetMetrics (windows), BatchWriter (persistence) and
// node-view.ts (what callers see), all on one NodeTable.
import type { Declarations } from '../config/index.js';
import { conflict, notFound } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { NodeFilter, NodeMetrics, NodeRecord, NodeState, Store, WriteFence } from '../store/index.js';
import { BatchWriter } from './batch-writer.js';
import { FleetMetrics } from './fleet-metrics.js';
import { initialLiveness } from './liveness.js';
import { LivenessTracker, type NodeTransition } from './liveness-tracker.js';
import type { RegionMetrics, WindowAverage } from './metrics-window.js';
import { NodeTable, type LiveNode } from './node-table.js';
import { countByState, observationOf, probeTargetsOf, selectRecords, toView, type NodeCount, type NodeObservationFacts, type NodeView } from './node-view.js';
import type { ProbeOutcome } from './probe.js';
import type { ProbeTarget } from './prober.js';
import { Registrar, type RegisterInput } from './registrar.js';
import { ServicePolicy } from './service-policy.js';

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

/** The node registry; see the file comment. */
export class NodeRegistry {
  private readonly nodes = new NodeTable();
  private readonly policy: ServicePolicy;
  private readonly registrar = new Registrar();
  private readonly writer: BatchWriter;
  private readonly liveness: LivenessTracker;
  private readonly metrics: FleetMetrics;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private heartbeats = 0;

  constructor(private readonly opts: RegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.monotonic = opts.monotonic ?? opts.now ?? (() => performance.now());
    this.policy = new ServicePolicy(opts.config, opts.probing ?? true);
    this.writer = new BatchWriter({ store: opts.store, log: opts.log, nodes: this.nodes, mayPersist: opts.mayPersist, fence: opts.fence });
    this.liveness = new LivenessTracker({
      nodes: this.nodes,
      policy: this.policy,
      writer: this.writer,
      log: opts.log,
      now: this.now,
      monotonic: this.monotonic,
    });
    this.metrics = new FleetMetrics(this.nodes, this.policy);
  }

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
    for (const record of await this.opts.store.listNodes()) {
      this.nodes.set({
        record,
        liveness: { state: record.state, passes: 0, fails: 0, since: record.stateSince },
        window: this.metrics.newWindow(record.service),
        lastSeen: this.monotonic(),
        lastProbeOk: null,
        heard: options.asCurrent === true,
      });
      this.registrar.remember(record);
      if (record.state !== 'deleted') this.nodes.index(record);
    }
    this.opts.log.info({ nodes: this.nodes.size }, `registry: loaded ${this.nodes.size} nodes`);
  }

  /** Starts the heartbeat-timeout sweep and the persistence timers. */
  start(): void {
    this.liveness.start();
    this.writer.start(this.opts.flushStateMs ?? 1_000, this.opts.flushBeatsMs ?? 15_000);
  }

  /** Stops the timers and persists everything. */
  async stop(): Promise<void> {
    this.stopTimers();
    await this.writer.flush('all');
  }

  /** Stops the timers and forgets every node without writing: the store is another leader's now. */
  async reset(): Promise<void> {
    this.stopTimers();
    await this.writer.idle();
    this.nodes.clear();
    this.registrar.clear();
    this.writer.clear();
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onTransition(listener: (t: NodeTransition) => void): () => void {
    return this.liveness.onTransition(listener);
  }

  /** Registers (or re-registers) a node and issues its heartbeat token. */
  register(input: RegisterInput): Registration {
    const name = this.registrar.nameFor(input, this.opts.config());
    const now = this.now();
    const existing = this.nodes.get(name);
    if (existing?.record.state === 'deleted') throw conflict(`node ${name} was deleted; names are never reused`, 'name');
    const { token, tokenHash } = this.registrar.issue(name, existing?.record.tokenHash);
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
    // The name fixes the pool, except when hyphens make it ambiguous (region `a-b` + service `c`, region `a` + service `b-c`).
    if (existing && (existing.record.service !== input.service || existing.record.region !== input.region)) this.nodes.unindex(existing.record);
    const live: LiveNode = existing
      ? { ...existing, record }
      : { record, liveness: initialLiveness(now), window: this.metrics.newWindow(input.service), lastSeen: 0, lastProbeOk: null, heard: true };
    this.nodes.set(live);
    this.nodes.index(record);
    this.liveness.registered(live, existing !== undefined, input.address, now);
    this.writer.stateChanged(name);
    this.opts.log.info({ node: name, address: input.address, again: existing !== undefined }, `registry: ${name} registered`);
    return { name, token, heartbeatInterval: this.policy.health(input.service).interval };
  }

  /** Accepts a heartbeat authenticated by the node's token; returns the node's state. */
  heartbeat(token: string, input: HeartbeatInput): NodeState {
    const live = this.nodes.get(input.name);
    if (!live || live.record.state === 'deleted') throw notFound(`unknown node ${input.name}`);
    this.registrar.authenticate(live.record, token);
    const now = this.now();
    const metrics: NodeMetrics = {
      cpu: input.cpu,
      mem: input.mem ?? null,
      qps: input.qps ?? null,
      errorRate: input.errorRate ?? null,
      rttMs: input.rttMs ?? null,
    };
    this.metrics.record(live, now, metrics);
    this.heartbeats += 1;
    this.writer.beat(input.name);
    this.liveness.heartbeat(live, now);
    return live.record.state;
  }

  /** Moves a node to `drain` (admin, or the node itself with its token); returns its state. */
  drain(name: string, byNodeToken?: string): NodeState {
    const live = this.nodes.get(name);
    if (!live || live.record.state === 'deleted') throw notFound(`unknown node ${name}`);
    if (byNodeToken !== undefined) this.registrar.authenticate(live.record, byNodeToken);
    this.liveness.drain(live, byNodeToken === undefined ? 'drained by admin' : 'drain requested by the node');
    return live.record.state;
  }

  /** True when `token` is the heartbeat token of a live node. */
  isNodeToken(token: string): boolean {
    return this.registrar.isNodeToken(token);
  }

  /** Marks a node deleted (it left the desired node list); its token stops working. */
  delete(name: string, cause: string): void {
    const live = this.nodes.get(name);
    if (!live) return;
    this.liveness.delete(live, cause);
    this.registrar.revoke(live.record.tokenHash);
    this.nodes.unindex(live.record);
  }

  /** Feeds an active probe's outcome into the node's state machine. */
  applyProbe(name: string, outcome: ProbeOutcome): void {
    const live = this.nodes.get(name);
    if (live) this.liveness.probe(live, outcome);
  }

  /**
   * Marks nodes down whose heartbeats stopped for fall × interval. A node loaded from the store
   * that stays silent that long is heard of too: the silence is this term's evidence.
   */
  sweep(): void {
    this.liveness.sweep();
  }

  /** Nodes the prober should check: every live node of a service with a gtm health block. */
  probeTargets(): ProbeTarget[] {
    if (!this.policy.probing) return [];
    return probeTargetsOf(this.nodes.values(), this.opts.config());
  }

  /** One node as the API shows it. */
  get(name: string): NodeView | undefined {
    const live = this.nodes.get(name);
    return live && toView(live.record);
  }

  /** The raw record of a node (controllers use it). */
  record(name: string): NodeRecord | undefined {
    return this.nodes.get(name)?.record;
  }

  /** Nodes matching a filter, by name; deleted nodes only when the filter asks for them. */
  list(filter: NodeFilter = {}): NodeView[] {
    return this.records(filter).map(toView);
  }

  /** Raw records matching a filter, by name. */
  records(filter: NodeFilter = {}): NodeRecord[] {
    return selectRecords(this.nodes.values(), filter);
  }

  /** Windowed metrics of a service's active nodes in a region, or 'stale' when none reported recently. */
  regionMetrics(service: string, region: string, now = this.now()): RegionMetrics | 'stale' {
    return this.metrics.region(service, region, now);
  }

  /** Windowed metrics of one node, or null when stale. */
  nodeMetrics(name: string, now = this.now()): WindowAverage | null {
    const live = this.nodes.get(name);
    return live ? this.metrics.node(live, now) : null;
  }

  /**
   * What a controller pass sees of one node: its state and windowed metrics (null when stale), in
   * one lookup; undefined when never registered. `addedAt` is the loop's own memory of when the name
   * appeared in a pool, carried into the answer so a pass builds one object per node, not two.
   */
  observation(name: string, now: number, addedAt: number): NodeObservationFacts | undefined {
    const live = this.nodes.get(name);
    return live && observationOf(live, this.metrics.averageOf(live, now), addedAt);
  }

  /** Count of nodes per (service, region, state), for metrics. */
  counts(): NodeCount[] {
    return countByState(this.nodes.values());
  }

  /**
   * Persists pending state changes now and rejects when the store refused them (they stay
   * queued for the next flush): for callers that must not go on until they are stored.
   */
  persistState(): Promise<void> {
    return this.writer.persistState();
  }

  /** Persists pending changes: state changes and events, or everything. */
  flush(what: 'state' | 'all' = 'all'): Promise<void> {
    return this.writer.flush(what);
  }

  /** The highest node number ever registered under `<region>-<service>-`. */
  highestOrdinal(region: string, service: string): number {
    return this.registrar.highestOrdinal(region, service);
  }

  private stopTimers(): void {
    this.liveness.stop();
    this.writer.stopTimers();
  }
}
