// The Store interface: everything xplane keeps between passes and restarts.
// SQLite is the embedded default; a Postgres implementation sits behind the
// same interface, so callers never know which one they have. Every method is
// async for that reason, even where SQLite answers synchronously.
import type { ConfigIssue, Declarations } from '../config/index.js';

/** A validated configuration, stored under the commit it came from. */
export interface ConfigSnapshot {
  commit: string;
  declarations: Declarations;
  /** Epoch milliseconds when it was stored. */
  storedAt: number;
}

/** The outcome of one sync attempt, kept so the API and metrics can show it. */
export interface SyncRecord {
  /** Epoch milliseconds. */
  at: number;
  /** The commit that was fetched, if any. */
  commit: string | null;
  /** `ok`: valid and in force; `invalid`: rejected declarations; `error`: git or IO failure. */
  status: 'ok' | 'invalid' | 'error';
  /** Human-readable summary: what changed, or why it failed. */
  message: string;
  /** Declaration problems when status is `invalid`. */
  issues: ConfigIssue[];
}

/** Node lifecycle states of contract §5. */
export type NodeState = 'warm' | 'active' | 'drain' | 'deleted' | 'down';

/** The last metrics a node reported. */
export interface NodeMetrics {
  cpu: number;
  mem: number | null;
  qps: number | null;
  errorRate: number | null;
  rttMs: number | null;
}

/** A registered node. */
export interface NodeRecord {
  name: string;
  service: string;
  region: string;
  /** `ip` or `ip:port`. */
  address: string;
  labels: Record<string, string>;
  state: NodeState;
  /** Epoch milliseconds of the last state change. */
  stateSince: number;
  /** Hash of the node's heartbeat token; the token itself is never stored. */
  tokenHash: string;
  registeredAt: number;
  lastHeartbeat: number | null;
  metrics: NodeMetrics | null;
}

/** Filter for listing nodes; every field is optional. */
export interface NodeFilter {
  service?: string;
  region?: string;
  state?: NodeState;
}

/** A node state transition with its cause. */
export interface NodeEvent {
  at: number;
  node: string;
  from: NodeState | null;
  to: NodeState;
  cause: string;
}

/** A controller decision with its reason, as committed to Git. */
export interface DecisionRecord {
  at: number;
  controller: 'gtm' | 'autoscale';
  service: string;
  region: string;
  /** What kind of change, e.g. `scale_up`, `scale_down`, `weight`, `exclude`, `replace`. */
  kind: string;
  /** The commit line, e.g. `autoscale: svc-plus jp 1→2 (cpu=0.82)`. */
  summary: string;
  /** The inputs that drove it, e.g. `{ cpu: 0.82 }`. */
  why: Record<string, number | string | boolean>;
  /** The commit that carried it, once pushed. */
  commit: string | null;
}

/** Filter for listing decisions, newest first. */
export interface DecisionFilter {
  service?: string;
  region?: string;
  /** Only decisions made at or after this time (epoch ms). */
  since?: number;
  /** Only decisions made before this time (epoch ms): the cursor of the next page, newest first. */
  before?: number;
  limit?: number;
}

/**
 * What the controllers saw of one (service, region) at one pass: a row of the downsampled metrics
 * history that `xplane serve` keeps and `xplane metrics export` writes as CSV (docs/simulate.md).
 */
export interface HistoryRow {
  /** Epoch milliseconds of the pass. */
  at: number;
  service: string;
  region: string;
  /** Sum of the windowed CPU of the region's reporting active nodes, in nodes (1.5 = one and a half nodes busy); null when stale. */
  cpuDemand: number | null;
  /** Names in the pool's `nodes` by the state the registry gave them (`unknown`: no agent registered under it). */
  active: number;
  warm: number;
  drain: number;
  down: number;
  unknown: number;
  /** The pool's weight in the stack at the head; null when the stack has no pool for the service. */
  weight: number | null;
  /** Sum of the reporting nodes' requests per second; null when none reported it. */
  qps: number | null;
  /** The region's error rate (0..1) as GTM reads it; null when none reported it. */
  errorRate: number | null;
  /** The region's mean round-trip time in milliseconds; null when none reported it. */
  rttMs: number | null;
}

/** Filter for reading the metrics history, oldest first. */
export interface HistoryFilter {
  /** Rows at or after this time (epoch ms). */
  since?: number;
  /** Rows before this time (epoch ms). */
  until?: number;
  service?: string;
  limit?: number;
}

/** How much metrics history a store keeps: rows older than `before` go, then the oldest beyond `maxRows`. */
export interface HistoryLimits {
  before: number;
  maxRows: number;
}

/** A pool key the loop must leave alone because a human changed it. */
export interface OverrideHold {
  service: string;
  region: string;
  key: 'weight' | 'nodes' | 'excluded';
  /** The human commit that changed it. */
  commit: string;
  author: string;
  since: number;
  until: number;
}

/** A leadership lease: one holder at a time, until it expires. */
export interface Lease {
  /** What is led, e.g. `controller`. */
  name: string;
  /** The replica's id (random per process). */
  holder: string;
  /** Where the holder's HTTP API answers, e.g. `http://10.0.0.5:7070`, for followers to forward to. */
  address: string;
  /** Fencing token: grows each time the lease changes hands; a renewal keeps it. */
  token: number;
  /** Epoch ms, by the store's clock, when it lapses unless renewed. */
  expiresAt: number;
}

/**
 * The lease a write rests on: the write happens only while `holder` holds lease `name` with
 * `token` by the store's clock, checked in the same transaction, else it is refused with
 * `XP_ERR_STORE_FENCED` and nothing is written. A leader paused past its lease (a long GC, a
 * stopped VM) cannot overwrite what the next leader has since loaded and changed.
 */
export interface WriteFence {
  lease: string;
  holder: string;
  token: number;
}

/** Persistent state of the control plane. */
export interface Store {
  /**
   * Stores a valid configuration under its commit. Storing a known commit
   * again keeps its first copy and makes it the latest again: a branch rolled
   * back to an older commit puts that commit back in force.
   */
  putSnapshot(snapshot: ConfigSnapshot): Promise<void>;
  /** The configuration stored for a commit. */
  getSnapshot(commit: string): Promise<ConfigSnapshot | undefined>;
  /** The configuration in force: the most recently stored valid one. */
  latestSnapshot(): Promise<ConfigSnapshot | undefined>;

  /** Records the outcome of a sync attempt. */
  recordSync(record: SyncRecord): Promise<void>;
  /** The most recent sync attempts, newest first. */
  recentSyncs(limit: number): Promise<SyncRecord[]>;

  /** Inserts or replaces nodes by name, all in one transaction; with a fence, only while its lease is held. */
  upsertNodes(nodes: NodeRecord[], fence?: WriteFence): Promise<void>;
  /** One node by name. */
  getNode(name: string): Promise<NodeRecord | undefined>;
  /** Nodes matching a filter, ordered by name. */
  listNodes(filter?: NodeFilter): Promise<NodeRecord[]>;

  /** Appends node state transitions, all in one transaction; with a fence, only while its lease is held. */
  appendNodeEvents(events: NodeEvent[], fence?: WriteFence): Promise<void>;
  /** Transitions of one node (or all nodes), newest first. */
  listNodeEvents(filter: { node?: string; limit?: number }): Promise<NodeEvent[]>;

  /** Appends controller decisions, all in one transaction. */
  appendDecisions(decisions: DecisionRecord[]): Promise<void>;
  /** Decisions matching a filter, newest first. */
  listDecisions(filter?: DecisionFilter): Promise<DecisionRecord[]>;

  /** Appends rows of the metrics history, all in one transaction. */
  appendHistory(rows: HistoryRow[]): Promise<void>;
  /** Rows of the metrics history matching a filter, oldest first (ties in the order appended). */
  listHistory(filter?: HistoryFilter): Promise<HistoryRow[]>;
  /** Deletes rows older than `limits.before`, then the oldest rows beyond `limits.maxRows`; answers how many went. */
  pruneHistory(limits: HistoryLimits): Promise<number>;

  /** Inserts or replaces the hold on (service, region, key). */
  putHold(hold: OverrideHold): Promise<void>;
  /** Holds still in force at `now` (epoch ms), or every hold when `now` is omitted. */
  listHolds(now?: number): Promise<OverrideHold[]>;

  /**
   * Takes the lease when it is free, expired or already ours (a renewal); answers the lease
   * as it stands afterwards, whoever holds it. Time is the store's clock, so replicas with
   * skewed clocks agree; an expired lease taken again, even by its last holder, gets a new token.
   */
  acquireLease(name: string, holder: string, address: string, ttlMs: number): Promise<Lease>;
  /** Extends the lease if `holder` still holds it with `token`; false when it was lost. */
  renewLease(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once if `holder` holds it with `token` (a clean shutdown). */
  releaseLease(name: string, holder: string, token: number): Promise<void>;
  /** The lease as it stands, expired or not, or undefined if never taken. */
  currentLease(name: string): Promise<Lease | undefined>;

  /** Releases the database. */
  close(): Promise<void>;
}
