// The embedded Store: one SQLite file in WAL mode. Statements are prepared
// once; the filtered listings prepare one statement per filter shape on first
// use, so each query keeps a plain WHERE that its index can serve.
import { StoreError } from '../errors.js';
import { afterAcquire, checkFence, checkLeaseArgs, holds } from '../lease-rules.js';
import { checkDecision, checkHold, checkLimit, checkNode, checkNodeEvent, checkSnapshot, checkSync } from '../record-checks.js';
import { checkBound } from '../record-checks.js';
import type { ConfigSnapshot, DecisionFilter, DecisionRecord, Lease, NodeEvent, NodeFilter } from '../types.js';
import type { NodeRecord, OverrideHold, Store, SyncRecord, WriteFence } from '../types.js';
import { openConnection, type Connection } from './connection.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { sqliteCode } from './result-code.js';
import { prepare, type Statement } from './statement.js';
import { transaction } from './transaction.js';
import { fromDecision, fromHold, fromLease, fromNode, fromNodeEvent, fromSync, toDecision } from '../rows.js';
import { toHold, toLease, toNode, toNodeEvent, toSnapshot, toSync, type DecisionRow } from '../rows.js';
import { type HoldRow, type LeaseRow, type NodeEventRow, type NodeRow, type SnapshotRow } from '../rows.js';
import { type SyncRow } from '../rows.js';
import { HISTORY_COLUMNS, fromHistory, toHistory, type HistorySqlRow } from '../rows.js';
import { checkHistoryLimits, checkHistoryRow } from '../record-checks.js';
import type { HistoryFilter, HistoryLimits, HistoryRow } from '../types.js';

type Params = Record<string, string | number>;
type Stmt<Row> = Statement<[Params], Row>;

// SQLite reads a negative LIMIT as "no limit".
const NO_LIMIT = -1;

/** Store on a local SQLite file (or `:memory:`), the embedded default. */
export class SqliteStore implements Store {
  private readonly insertSnapshot: Statement<[SnapshotRow]>;
  private readonly selectSnapshot: Statement<[string], SnapshotRow>;
  private readonly selectLatestSnapshot: Statement<[], SnapshotRow>;
  private readonly insertSync: Statement<[SyncRow]>;
  private readonly selectSyncs: Statement<[number], SyncRow>;
  private readonly upsertNode: Statement<[NodeRow]>;
  private readonly selectNode: Statement<[string], NodeRow>;
  private readonly insertNodeEvent: Statement<[NodeEventRow]>;
  private readonly insertDecision: Statement<[DecisionRow]>;
  private readonly upsertHold: Statement<[HoldRow]>;
  private readonly insertHistory: Statement<[HistorySqlRow]>;
  private readonly deleteHistoryBefore: Statement<[number]>;
  private readonly deleteHistoryBeyond: Statement<[number]>;
  private readonly selectHoldsAt: Statement<[number], HoldRow>;
  private readonly selectAllHolds: Statement<[], HoldRow>;
  private readonly selectLease: Statement<[string], LeaseRow>;
  private readonly upsertLease: Statement<[LeaseRow]>;
  private readonly filtered = new Map<string, Stmt<unknown>>();

  private constructor(
    private readonly db: Connection,
    private readonly now: () => number,
  ) {
    this.insertSnapshot = prepare(
      db,
      `INSERT INTO config_snapshots (commit_sha, declarations, stored_at)
       VALUES (@commit_sha, @declarations, @stored_at)
       ON CONFLICT (commit_sha) DO UPDATE SET seq = (SELECT MAX(seq) + 1 FROM config_snapshots)
       WHERE seq < (SELECT MAX(seq) FROM config_snapshots)`,
    );
    this.selectSnapshot = prepare(db, 'SELECT commit_sha, declarations, stored_at FROM config_snapshots WHERE commit_sha = ?');
    this.selectLatestSnapshot = prepare(db, 'SELECT commit_sha, declarations, stored_at FROM config_snapshots ORDER BY seq DESC LIMIT 1');
    this.insertSync = prepare(
      db,
      `INSERT INTO sync_records (at, commit_sha, status, message, issues)
       VALUES (@at, @commit_sha, @status, @message, @issues)`,
    );
    this.selectSyncs = prepare(db, 'SELECT at, commit_sha, status, message, issues FROM sync_records ORDER BY at DESC, id DESC LIMIT ?');
    this.upsertNode = prepare(
      db,
      `INSERT INTO nodes (name, service, region, address, labels, state, state_since, token_hash,
                          registered_at, last_heartbeat, metrics)
       VALUES (@name, @service, @region, @address, @labels, @state, @state_since, @token_hash,
               @registered_at, @last_heartbeat, @metrics)
       ON CONFLICT (name) DO UPDATE SET
         service = excluded.service, region = excluded.region, address = excluded.address,
         labels = excluded.labels, state = excluded.state, state_since = excluded.state_since,
         token_hash = excluded.token_hash, registered_at = excluded.registered_at,
         last_heartbeat = excluded.last_heartbeat, metrics = excluded.metrics`,
    );
    this.selectNode = prepare(db, `SELECT * FROM nodes WHERE name = ?`);
    this.insertNodeEvent = prepare(
      db,
      `INSERT INTO node_events (at, node, from_state, to_state, cause)
       VALUES (@at, @node, @from_state, @to_state, @cause)`,
    );
    this.insertDecision = prepare(
      db,
      `INSERT INTO decisions (at, controller, service, region, kind, summary, why, commit_sha)
       VALUES (@at, @controller, @service, @region, @kind, @summary, @why, @commit_sha)`,
    );
    this.upsertHold = prepare(
      db,
      `INSERT INTO override_holds (service, region, key, commit_sha, author, since, until)
       VALUES (@service, @region, @key, @commit_sha, @author, @since, @until)
       ON CONFLICT (service, region, key) DO UPDATE SET
         commit_sha = excluded.commit_sha, author = excluded.author,
         since = excluded.since, until = excluded.until`,
    );
    this.insertHistory = prepare(
      db,
      `INSERT INTO metrics_history (${HISTORY_COLUMNS})
       VALUES (@at, @service, @region, @cpu_demand, @active, @warm, @drain, @down, @unknown, @weight, @qps, @error_rate, @rtt_ms)`,
    );
    this.deleteHistoryBefore = prepare(db, 'DELETE FROM metrics_history WHERE at < ?');
    // Ids grow with each append, so the rows past the newest `maxRows` ids are the oldest ones.
    this.deleteHistoryBeyond = prepare(db, 'DELETE FROM metrics_history WHERE id <= (SELECT id FROM metrics_history ORDER BY id DESC LIMIT 1 OFFSET ?)');
    const holdColumns = 'service, region, key, commit_sha, author, since, until';
    this.selectHoldsAt = prepare(db, `SELECT ${holdColumns} FROM override_holds WHERE until > ? ORDER BY service, region, key`);
    this.selectAllHolds = prepare(db, `SELECT ${holdColumns} FROM override_holds ORDER BY service, region, key`);

    this.selectLease = prepare(db, 'SELECT name, holder, address, token, expires_at FROM leases WHERE name = ?');
    this.upsertLease = prepare(
      db,
      `INSERT INTO leases (name, holder, address, token, expires_at)
       VALUES (@name, @holder, @address, @token, @expires_at)
       ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder, address = excluded.address,
         token = excluded.token, expires_at = excluded.expires_at`,
    );
  }

  /**
   * Opens (creating if needed) the database at `path` and brings its schema up to date.
   * `:memory:` gives a private in-memory database.
   */
  static open(path: string, options: { now?: () => number } = {}): SqliteStore {
    const db = openConnection(path);
    try {
      migrate(db, MIGRATIONS);
      return new SqliteStore(db, options.now ?? Date.now);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Stores a valid configuration under its commit; storing the same commit again is a no-op. */
  async putSnapshot(snapshot: ConfigSnapshot): Promise<void> {
    this.checkOpen();
    checkSnapshot(snapshot.commit, snapshot.storedAt);
    const row = { commit_sha: snapshot.commit, declarations: JSON.stringify(snapshot.declarations), stored_at: snapshot.storedAt };
    this.write('storing a snapshot', () => this.insertSnapshot.run(row));
  }

  /** The configuration stored for a commit. */
  async getSnapshot(commit: string): Promise<ConfigSnapshot | undefined> {
    this.checkOpen();
    const row = this.selectSnapshot.get(commit);
    return row && toSnapshot(row);
  }

  /** The configuration in force: the most recently stored valid one. */
  async latestSnapshot(): Promise<ConfigSnapshot | undefined> {
    this.checkOpen();
    const row = this.selectLatestSnapshot.get();
    return row && toSnapshot(row);
  }

  /** Records the outcome of a sync attempt. */
  async recordSync(record: SyncRecord): Promise<void> {
    this.checkOpen();
    checkSync(record);
    const row = fromSync(record);
    this.write('recording a sync', () => this.insertSync.run(row));
  }

  /** The most recent sync attempts, newest first. */
  async recentSyncs(limit: number): Promise<SyncRecord[]> {
    this.checkOpen();
    return this.selectSyncs.all(checkLimit(limit) ?? NO_LIMIT).map(toSync);
  }

  /** Inserts or replaces nodes by name, all in one transaction. */
  async upsertNodes(nodes: NodeRecord[], fence?: WriteFence): Promise<void> {
    this.checkOpen();
    nodes.forEach(checkNode);
    // Rows are built before the transaction opens, so the write lock is held
    // only for the inserts of a heartbeat batch, not for JSON encoding.
    const rows = nodes.map(fromNode);
    if (rows.length === 0) return;
    this.write('writing nodes', () => this.writeNodes(rows, fence));
  }

  /** One node by name. */
  async getNode(name: string): Promise<NodeRecord | undefined> {
    this.checkOpen();
    const row = this.selectNode.get(name);
    return row && toNode(row);
  }

  /** Nodes matching a filter, ordered by name. */
  async listNodes(filter: NodeFilter = {}): Promise<NodeRecord[]> {
    this.checkOpen();
    const { where, params } = conditions({ service: filter.service, region: filter.region, state: filter.state });
    const stmt = this.statement<NodeRow>(`nodes:${where}`, `SELECT * FROM nodes ${where} ORDER BY name`);
    return stmt.all(params).map(toNode);
  }

  /** Appends node state transitions, all in one transaction. */
  async appendNodeEvents(events: NodeEvent[], fence?: WriteFence): Promise<void> {
    this.checkOpen();
    events.forEach(checkNodeEvent);
    const rows = events.map(fromNodeEvent);
    if (rows.length === 0) return;
    this.write('appending node events', () => this.writeNodeEvents(rows, fence));
  }

  /** Transitions of one node (or all nodes), newest first. */
  async listNodeEvents(filter: { node?: string; limit?: number }): Promise<NodeEvent[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? NO_LIMIT;
    const { where, params } = conditions({ node: filter.node });
    const stmt = this.statement<NodeEventRow>(
      `events:${where}`,
      `SELECT at, node, from_state, to_state, cause FROM node_events ${where}
       ORDER BY at DESC, id DESC LIMIT @limit`,
    );
    return stmt.all({ ...params, limit }).map(toNodeEvent);
  }

  /** Appends controller decisions, all in one transaction. */
  async appendDecisions(decisions: DecisionRecord[]): Promise<void> {
    this.checkOpen();
    decisions.forEach(checkDecision);
    const rows = decisions.map(fromDecision);
    this.write('appending decisions', () => this.writeDecisions(rows));
  }

  /** Decisions matching a filter, newest first. */
  async listDecisions(filter: DecisionFilter = {}): Promise<DecisionRecord[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? NO_LIMIT;
    const { where, params } = timeBounds(conditions({ service: filter.service, region: filter.region }), {
      since: checkBound('since', filter.since),
      before: checkBound('before', filter.before),
    });
    const stmt = this.statement<DecisionRow>(
      `decisions:${where}`,
      `SELECT at, controller, service, region, kind, summary, why, commit_sha FROM decisions ${where}
       ORDER BY at DESC, id DESC LIMIT @limit`,
    );
    return stmt.all({ ...params, limit }).map(toDecision);
  }

  /** Appends rows of the metrics history, all in one transaction. */
  async appendHistory(rows: HistoryRow[]): Promise<void> {
    this.checkOpen();
    rows.forEach(checkHistoryRow);
    const sqlRows = rows.map(fromHistory);
    if (sqlRows.length === 0) return;
    this.write('appending metrics history', () =>
      transaction(this.db, () => {
        for (const row of sqlRows) this.insertHistory.run(row);
      }),
    );
  }

  /** Rows of the metrics history matching a filter, oldest first. */
  async listHistory(filter: HistoryFilter = {}): Promise<HistoryRow[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? NO_LIMIT;
    const params: Params = { limit };
    const parts: string[] = [];
    if (filter.service !== undefined) {
      parts.push('service = @service');
      params.service = filter.service;
    }
    if (filter.since !== undefined) {
      parts.push('at >= @since');
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      parts.push('at < @until');
      params.until = filter.until;
    }
    const where = parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
    const stmt = this.statement<HistorySqlRow>(`history:${where}`, `SELECT ${HISTORY_COLUMNS} FROM metrics_history ${where} ORDER BY at, id LIMIT @limit`);
    return stmt.all(params).map(toHistory);
  }

  /** Deletes rows older than `limits.before`, then the oldest beyond `limits.maxRows`; answers how many went. */
  async pruneHistory(limits: HistoryLimits): Promise<number> {
    this.checkOpen();
    checkHistoryLimits(limits);
    return this.write('pruning metrics history', () =>
      transaction(this.db, () => {
        const old = this.deleteHistoryBefore.run(limits.before).changes;
        const beyond = this.deleteHistoryBeyond.run(limits.maxRows).changes;
        return Number(old) + Number(beyond);
      }),
    );
  }

  /** Inserts or replaces the hold on (service, region, key). */
  async putHold(hold: OverrideHold): Promise<void> {
    this.checkOpen();
    checkHold(hold);
    const row = fromHold(hold);
    this.write('storing a hold', () => this.upsertHold.run(row));
  }

  /**
   * Holds still in force at `now` (epoch ms), or every hold when `now` is omitted.
   * A hold counts until it expires even if `since` is ahead of `now`: another replica's
   * clock may run slightly fast, and dropping the hold would overwrite a human's change.
   */
  async listHolds(now?: number): Promise<OverrideHold[]> {
    this.checkOpen();
    const rows = now === undefined ? this.selectAllHolds.all() : this.selectHoldsAt.all(now);
    return rows.map(toHold);
  }

  /** Takes the lease when it is free, expired or already ours; answers the lease as it stands afterwards. */
  async acquireLease(name: string, holder: string, address: string, ttlMs: number): Promise<Lease> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, address, ttlMs });
    // afterAcquire always answers a lease, so the transaction does too.
    return this.changeLease(name, (current) => afterAcquire(current, { name, holder, address, ttlMs }, this.now()));
  }

  /** Extends the lease if `holder` still holds it with `token`; false when it was lost. */
  async renewLease(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, token, ttlMs });
    let renewed = false;
    this.changeLease(name, (current) => {
      const now = this.now();
      if (!holds(current, holder, token, now)) return undefined;
      renewed = true;
      return { ...current, expiresAt: now + ttlMs };
    });
    return renewed;
  }

  /** Gives the lease up at once if `holder` holds it with `token`; it keeps its token, so the next holder's is higher. */
  async releaseLease(name: string, holder: string, token: number): Promise<void> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, token });
    this.changeLease(name, (current) => {
      const now = this.now();
      return holds(current, holder, token, now) ? { ...current, expiresAt: now } : undefined;
    });
  }

  /** The lease as it stands, expired or not, or undefined if never taken. */
  async currentLease(name: string): Promise<Lease | undefined> {
    this.checkOpen();
    const row = this.selectLease.get(name);
    return row && toLease(row);
  }

  /** Releases the database; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Runs a write; a database that refuses it (locked past the busy timeout, disk full, I/O error)
   * becomes a StoreError naming the file and what was being written. Nothing of it was kept:
   * each write is one transaction.
   */
  private write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = sqliteCode(err);
      if (code === undefined) throw err;
      const why = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? 'the database is locked by another process' : (err as Error).message;
      throw new StoreError('XP_ERR_STORE_UNAVAILABLE', `store ${this.db.name}: ${what} failed: ${why} (${code}); nothing of it was kept`, { cause: err });
    }
  }

  // Fenced writes check the lease inside their transaction, taken IMMEDIATE so no other writer moves it in between.
  private writeNodes(rows: NodeRow[], fence: WriteFence | undefined): void {
    transaction(
      this.db,
      () => {
        this.checkFence(fence, 'writing nodes');
        for (const row of rows) this.upsertNode.run(row);
      },
      { immediate: fence !== undefined },
    );
  }

  private writeNodeEvents(rows: NodeEventRow[], fence: WriteFence | undefined): void {
    transaction(
      this.db,
      () => {
        this.checkFence(fence, 'appending node events');
        for (const row of rows) this.insertNodeEvent.run(row);
      },
      { immediate: fence !== undefined },
    );
  }

  private writeDecisions(rows: DecisionRow[]): void {
    transaction(this.db, () => {
      for (const row of rows) this.insertDecision.run(row);
    });
  }

  // Read, decide and write under one write lock, so two processes on the same
  // file cannot both see the lease free and both take it.
  // A change that always answers a lease leaves one; one that may answer undefined (no change) may find none.
  private changeLease(name: string, change: (current: Lease | undefined) => Lease): Lease;
  private changeLease(name: string, change: (current: Lease | undefined) => Lease | undefined): Lease | undefined;
  private changeLease(name: string, change: (current: Lease | undefined) => Lease | undefined): Lease | undefined {
    return transaction(
      this.db,
      () => {
        const row = this.selectLease.get(name);
        const next = change(row && toLease(row));
        if (next !== undefined) this.upsertLease.run(fromLease(next));
        return next ?? (row && toLease(row));
      },
      { immediate: true },
    );
  }

  private checkFence(fence: WriteFence | undefined, what: string): void {
    if (fence === undefined) return;
    const row = this.selectLease.get(fence.lease);
    checkFence(fence, row && toLease(row), this.now(), `store ${this.db.name}: ${what}`);
  }

  private checkOpen(): void {
    if (!this.db.isOpen) throw new StoreError('XP_ERR_STORE_CLOSED', `store ${this.db.name} is closed`);
  }

  private statement<Row>(key: string, sql: string): Stmt<Row> {
    let stmt = this.filtered.get(key);
    if (stmt === undefined) {
      stmt = prepare<[Params]>(this.db, sql);
      this.filtered.set(key, stmt);
    }
    return stmt as Stmt<Row>;
  }
}

// Only the set fields become conditions; the SQL text is the cache key, and
// there are few shapes (2^fields), so the cache stays small.
function conditions(fields: Record<string, string | undefined>): { where: string; params: Params } {
  const params: Params = {};
  const parts: string[] = [];
  for (const [column, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${column} = @${column}`);
    params[column] = value;
  }
  return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}

// The time bounds of a newest-first page: `at >= @since`, `at < @before`, after the set fields' conditions.
function timeBounds(
  base: { where: string; params: Params },
  bounds: { since: number | undefined; before: number | undefined },
): { where: string; params: Params } {
  const parts = base.where === '' ? [] : [base.where.slice('WHERE '.length)];
  const params = { ...base.params };
  if (bounds.since !== undefined) {
    parts.push('at >= @since');
    params.since = bounds.since;
  }
  if (bounds.before !== undefined) {
    parts.push('at < @before');
    params.before = bounds.before;
  }
  return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}
