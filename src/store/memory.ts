// An in-memory Store for unit tests of the code around the store. It records
// every call, and copies records through JSON on the way in and out, as the
// SQLite store's JSON columns do, so a test sees the same values and cannot
// change stored state by mutating an object it passed or got back.
import { StoreError } from './errors.js';
import { afterAcquire, checkFence, checkLeaseArgs, holds } from './lease-rules.js';
import { checkDecision, checkHold, checkLimit, checkNode, checkNodeEvent, checkSnapshot, checkSync } from './record-checks.js';
import { checkBound } from './record-checks.js';
import type { ConfigSnapshot, DecisionFilter, DecisionRecord, Lease, NodeEvent, NodeFilter } from './types.js';
import type { NodeRecord, OverrideHold, Store, SyncRecord, WriteFence } from './types.js';
import { checkHistoryLimits, checkHistoryRow } from './record-checks.js';
import type { HistoryFilter, HistoryLimits, HistoryRow } from './types.js';

/** One call made to a MemoryStore, with a copy of its arguments. */
export type StoreCall = { [M in keyof Store]: { method: M; args: Parameters<Store[M]> } }[keyof Store];

function copy<T>(value: T): T {
  const text = JSON.stringify(value);
  const parsed: unknown = JSON.parse(text);
  return parsed as T;
}

// Newest first; among equal times the later append comes first, as in SQLite.
function newestFirst<T extends { at: number }>(items: readonly T[], limit: number | undefined): T[] {
  const sorted = [...items].reverse().sort((a, b) => b.at - a.at);
  return (limit === undefined ? sorted : sorted.slice(0, limit)).map(copy);
}

function byName(a: NodeRecord, b: NodeRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function holdKey(h: OverrideHold): string {
  return `${h.service}\u0000${h.region}\u0000${h.key}`;
}

/** A Store held in memory that records the calls made to it; for tests. */
export class MemoryStore implements Store {
  /** Every call made so far, oldest first. Clear it with `calls.length = 0`. */
  readonly calls: StoreCall[] = [];

  private readonly snapshots = new Map<string, ConfigSnapshot>();
  private readonly syncs: SyncRecord[] = [];
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly events: NodeEvent[] = [];
  private readonly decisions: DecisionRecord[] = [];
  private readonly holds = new Map<string, OverrideHold>();
  /** The metrics history in the order appended. */
  private history: HistoryRow[] = [];
  private readonly leases = new Map<string, Lease>();
  private closed = false;

  /** @param now the store's clock, read for lease expiry; tests may pass a fake one. */
  constructor(private readonly now: () => number = Date.now) {}

  /** Stores a valid configuration under its commit; storing a known commit again keeps its first copy and makes it latest again. */
  async putSnapshot(snapshot: ConfigSnapshot): Promise<void> {
    this.enter({ method: 'putSnapshot', args: [snapshot] });
    checkSnapshot(snapshot.commit, snapshot.storedAt);
    const first = this.snapshots.get(snapshot.commit) ?? copy(snapshot);
    // Map order is insertion order: re-inserting moves a rolled-back commit to the end.
    this.snapshots.delete(snapshot.commit);
    this.snapshots.set(snapshot.commit, first);
  }

  /** The configuration stored for a commit. */
  async getSnapshot(commit: string): Promise<ConfigSnapshot | undefined> {
    this.enter({ method: 'getSnapshot', args: [commit] });
    const found = this.snapshots.get(commit);
    return found && copy(found);
  }

  /** The configuration in force: the most recently stored valid one. */
  async latestSnapshot(): Promise<ConfigSnapshot | undefined> {
    this.enter({ method: 'latestSnapshot', args: [] });
    const last = [...this.snapshots.values()].at(-1);
    return last && copy(last);
  }

  /** Records the outcome of a sync attempt. */
  async recordSync(record: SyncRecord): Promise<void> {
    this.enter({ method: 'recordSync', args: [record] });
    checkSync(record);
    this.syncs.push(copy(record));
  }

  /** The most recent sync attempts, newest first. */
  async recentSyncs(limit: number): Promise<SyncRecord[]> {
    this.enter({ method: 'recentSyncs', args: [limit] });
    return newestFirst(this.syncs, checkLimit(limit));
  }

  /** Inserts or replaces nodes by name, all or none. */
  async upsertNodes(nodes: NodeRecord[], fence?: WriteFence): Promise<void> {
    this.enter({ method: 'upsertNodes', args: fence ? [nodes, fence] : [nodes] });
    nodes.forEach(checkNode);
    if (nodes.length === 0) return;
    this.checkFence(fence, 'writing nodes');
    for (const node of copy(nodes)) this.nodes.set(node.name, node);
  }

  /** One node by name. */
  async getNode(name: string): Promise<NodeRecord | undefined> {
    this.enter({ method: 'getNode', args: [name] });
    const found = this.nodes.get(name);
    return found && copy(found);
  }

  /** Nodes matching a filter, ordered by name. */
  async listNodes(filter: NodeFilter = {}): Promise<NodeRecord[]> {
    this.enter({ method: 'listNodes', args: [filter] });
    return [...this.nodes.values()]
      .filter(
        (n) =>
          (filter.service === undefined || n.service === filter.service) &&
          (filter.region === undefined || n.region === filter.region) &&
          (filter.state === undefined || n.state === filter.state),
      )
      .sort(byName)
      .map(copy);
  }

  /** Appends node state transitions, all or none. */
  async appendNodeEvents(events: NodeEvent[], fence?: WriteFence): Promise<void> {
    this.enter({ method: 'appendNodeEvents', args: fence ? [events, fence] : [events] });
    events.forEach(checkNodeEvent);
    if (events.length === 0) return;
    this.checkFence(fence, 'appending node events');
    this.events.push(...copy(events));
  }

  /** Transitions of one node (or all nodes), newest first. */
  async listNodeEvents(filter: { node?: string; limit?: number }): Promise<NodeEvent[]> {
    this.enter({ method: 'listNodeEvents', args: [filter] });
    const limit = checkLimit(filter.limit);
    return newestFirst(
      this.events.filter((e) => filter.node === undefined || e.node === filter.node),
      limit,
    );
  }

  /** Appends controller decisions, all or none. */
  async appendDecisions(decisions: DecisionRecord[]): Promise<void> {
    this.enter({ method: 'appendDecisions', args: [decisions] });
    decisions.forEach(checkDecision);
    this.decisions.push(...copy(decisions));
  }

  /** Decisions matching a filter, newest first. */
  async listDecisions(filter: DecisionFilter = {}): Promise<DecisionRecord[]> {
    this.enter({ method: 'listDecisions', args: [filter] });
    const limit = checkLimit(filter.limit);
    const since = checkBound('since', filter.since);
    const before = checkBound('before', filter.before);
    return newestFirst(
      this.decisions.filter(
        (d) =>
          (filter.service === undefined || d.service === filter.service) &&
          (filter.region === undefined || d.region === filter.region) &&
          (since === undefined || d.at >= since) &&
          (before === undefined || d.at < before),
      ),
      limit,
    );
  }

  /** Appends rows of the metrics history, all or none. */
  async appendHistory(rows: HistoryRow[]): Promise<void> {
    this.enter({ method: 'appendHistory', args: [rows] });
    rows.forEach(checkHistoryRow);
    this.history.push(...copy(rows));
  }

  /** Rows of the metrics history matching a filter, oldest first (ties in the order appended). */
  async listHistory(filter: HistoryFilter = {}): Promise<HistoryRow[]> {
    this.enter({ method: 'listHistory', args: [filter] });
    const limit = checkLimit(filter.limit);
    // A stable sort keeps rows of one time in the order they were appended, as the SQL stores' ids do.
    const rows = this.history
      .filter(
        (h) =>
          (filter.service === undefined || h.service === filter.service) &&
          (filter.since === undefined || h.at >= filter.since) &&
          (filter.until === undefined || h.at < filter.until),
      )
      .sort((a, b) => a.at - b.at);
    return (limit === undefined ? rows : rows.slice(0, limit)).map(copy);
  }

  /** Deletes rows older than `limits.before`, then the oldest appended beyond `limits.maxRows`; answers how many went. */
  async pruneHistory(limits: HistoryLimits): Promise<number> {
    this.enter({ method: 'pruneHistory', args: [limits] });
    checkHistoryLimits(limits);
    const before = this.history.length;
    const kept = this.history.filter((h) => h.at >= limits.before);
    this.history = kept.slice(Math.max(0, kept.length - limits.maxRows));
    return before - this.history.length;
  }

  /** Inserts or replaces the hold on (service, region, key). */
  async putHold(hold: OverrideHold): Promise<void> {
    this.enter({ method: 'putHold', args: [hold] });
    checkHold(hold);
    this.holds.set(holdKey(hold), copy(hold));
  }

  /** Holds that have not expired at `now` (as SqliteStore), or every hold when `now` is omitted. */
  async listHolds(now?: number): Promise<OverrideHold[]> {
    this.enter({ method: 'listHolds', args: now === undefined ? [] : [now] });
    return [...this.holds.entries()]
      .filter(([, h]) => now === undefined || h.until > now)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, h]) => copy(h));
  }

  /** Takes the lease when it is free, expired or already ours; answers the lease as it stands afterwards. */
  async acquireLease(name: string, holder: string, address: string, ttlMs: number): Promise<Lease> {
    this.enter({ method: 'acquireLease', args: [name, holder, address, ttlMs] });
    checkLeaseArgs({ name, holder, address, ttlMs });
    const lease = afterAcquire(this.leases.get(name), { name, holder, address, ttlMs }, this.now());
    this.leases.set(name, lease);
    return { ...lease };
  }

  /** Extends the lease if `holder` still holds it with `token`; false when it was lost. */
  async renewLease(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    this.enter({ method: 'renewLease', args: [name, holder, token, ttlMs] });
    checkLeaseArgs({ name, holder, token, ttlMs });
    const now = this.now();
    const current = this.leases.get(name);
    if (!holds(current, holder, token, now)) return false;
    this.leases.set(name, { ...current, expiresAt: now + ttlMs });
    return true;
  }

  /** Gives the lease up at once if `holder` holds it with `token`. */
  async releaseLease(name: string, holder: string, token: number): Promise<void> {
    this.enter({ method: 'releaseLease', args: [name, holder, token] });
    checkLeaseArgs({ name, holder, token });
    const now = this.now();
    const current = this.leases.get(name);
    if (holds(current, holder, token, now)) this.leases.set(name, { ...current, expiresAt: now });
  }

  /** The lease as it stands, expired or not, or undefined if never taken. */
  async currentLease(name: string): Promise<Lease | undefined> {
    this.enter({ method: 'currentLease', args: [name] });
    const found = this.leases.get(name);
    return found && { ...found };
  }

  private checkFence(fence: WriteFence | undefined, what: string): void {
    if (fence) checkFence(fence, this.leases.get(fence.lease), this.now(), what);
  }

  /** Marks the store closed; later calls fail as they do on a closed database. */
  async close(): Promise<void> {
    this.calls.push({ method: 'close', args: [] });
    this.closed = true;
  }

  private enter(call: StoreCall): void {
    this.calls.push(structuredClone(call));
    if (this.closed) throw new StoreError('XP_ERR_STORE_CLOSED', `memory store is closed (${call.method})`);
  }
}
