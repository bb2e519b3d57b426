// The Store on Postgres, for replicas that share one database. Every call is
// one statement on a pooled connection, so every multi-row write is one
// transaction: batches go in as arrays through unnest(). Batches of nodes are
// written in name order, so two replicas upserting overlapping batches lock
// rows in the same order and cannot deadlock. Times are the callers' epoch ms,
// except the lease's, which are the server's (see clock.ts).
import type pg from 'pg';
import { StoreError } from '../errors.js';
import { checkLeaseArgs, fencedError } from '../lease-rules.js';
import { checkDecision, checkHold, checkLimit, checkNode, checkNodeEvent, checkSnapshot, checkSync } from '../record-checks.js';
import { checkBound } from '../record-checks.js';
import { redactUrl } from '../redact.js';
import { fromDecision, fromHold, fromNode, fromNodeEvent, fromSync, toDecision, toHold, toLease } from '../rows.js';
import { toNode, toNodeEvent, toSnapshot, toSync, type DecisionRow, type HoldRow, type LeaseRow } from '../rows.js';
import { type NodeEventRow, type NodeRow, type SnapshotRow, type SyncRow } from '../rows.js';
import { HISTORY_COLUMNS, fromHistory, toHistory, type HistorySqlRow } from '../rows.js';
import { checkHistoryLimits, checkHistoryRow } from '../record-checks.js';
import type { HistoryFilter, HistoryLimits, HistoryRow } from '../types.js';
import type { ConfigSnapshot, DecisionFilter, DecisionRecord, Lease, NodeEvent, NodeFilter } from '../types.js';
import type { NodeRecord, OverrideHold, Store, SyncRecord, WriteFence } from '../types.js';
import { NOW_MS } from './clock.js';
import { createPool, isUnreachable, openError, unavailableError, type PoolOptions } from './connection.js';
import { migrate } from './migrate.js';
import { PG_MIGRATIONS } from './migrations.js';

// bigint columns take whole milliseconds; SQLite would keep a fraction, which
// no caller means, and refusing it would fail a whole heartbeat batch.
function ms(value: number): number {
  return Math.round(value);
}

function msOrNull(value: number | null): number | null {
  return value === null ? null : ms(value);
}

const NODE_COLUMNS = 'name, service, region, address, labels, state, state_since, token_hash, registered_at, last_heartbeat, metrics';
const LEASE_COLUMNS = 'name, holder, address, token, expires_at';

/** Store on a Postgres database, shared by every replica. */
export class PostgresStore implements Store {
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /**
   * Connects to the database at `url` (postgres:// or postgresql://) and brings its schema up to
   * date. Fails with XP_ERR_STORE_OPEN, naming the server and database, when it cannot.
   */
  static async open(url: string, options: PoolOptions = {}): Promise<PostgresStore> {
    const pool = createPool(url, options);
    try {
      await migrate(pool, PG_MIGRATIONS, redactUrl(url));
    } catch (err) {
      await pool.end().catch(() => {});
      throw err instanceof StoreError ? err : openError(url, err);
    }
    return new PostgresStore(pool, url);
  }

  /** Stores a valid configuration under its commit; storing a known commit again makes it latest again. */
  async putSnapshot(snapshot: ConfigSnapshot): Promise<void> {
    this.checkOpen();
    checkSnapshot(snapshot.commit, snapshot.storedAt);
    await this.query(
      `INSERT INTO config_snapshots (commit_sha, declarations, stored_at) VALUES ($1, $2, $3)
       ON CONFLICT (commit_sha) DO UPDATE SET seq = nextval(pg_get_serial_sequence('config_snapshots', 'seq'))
       WHERE config_snapshots.seq < (SELECT max(seq) FROM config_snapshots)`,
      [snapshot.commit, JSON.stringify(snapshot.declarations), ms(snapshot.storedAt)],
    );
  }

  /** The configuration stored for a commit. */
  async getSnapshot(commit: string): Promise<ConfigSnapshot | undefined> {
    const rows = await this.query<SnapshotRow>('SELECT commit_sha, declarations, stored_at FROM config_snapshots WHERE commit_sha = $1', [commit]);
    return rows[0] && toSnapshot(rows[0]);
  }

  /** The configuration in force: the most recently stored valid one. */
  async latestSnapshot(): Promise<ConfigSnapshot | undefined> {
    const rows = await this.query<SnapshotRow>('SELECT commit_sha, declarations, stored_at FROM config_snapshots ORDER BY seq DESC LIMIT 1');
    return rows[0] && toSnapshot(rows[0]);
  }

  /** Records the outcome of a sync attempt. */
  async recordSync(record: SyncRecord): Promise<void> {
    this.checkOpen();
    checkSync(record);
    const row = fromSync(record);
    await this.query('INSERT INTO sync_records (at, commit_sha, status, message, issues) VALUES ($1, $2, $3, $4, $5)', [
      ms(row.at),
      row.commit_sha,
      row.status,
      row.message,
      row.issues,
    ]);
  }

  /** The most recent sync attempts, newest first. */
  async recentSyncs(limit: number): Promise<SyncRecord[]> {
    this.checkOpen();
    const rows = await this.query<SyncRow>('SELECT at, commit_sha, status, message, issues FROM sync_records ORDER BY at DESC, id DESC LIMIT $1', [
      checkLimit(limit) ?? null,
    ]);
    return rows.map(toSync);
  }

  /** Inserts or replaces nodes by name, all in one transaction; the last of two with one name wins. */
  async upsertNodes(nodes: NodeRecord[], fence?: WriteFence): Promise<void> {
    this.checkOpen();
    nodes.forEach(checkNode);
    const byName = new Map<string, NodeRow>();
    for (const node of nodes) {
      byName.delete(node.name);
      byName.set(node.name, fromNode(node));
    }
    if (byName.size === 0) return;
    const rows = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    await this.fenced(
      fence,
      'writing nodes',
      (guard) => `${guard.with}
       INSERT INTO nodes (${NODE_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[],
                            $7::bigint[], $8::text[], $9::bigint[], $10::bigint[], $11::jsonb[])
       ${guard.where}
       ON CONFLICT (name) DO UPDATE SET
         service = excluded.service, region = excluded.region, address = excluded.address,
         labels = excluded.labels, state = excluded.state, state_since = excluded.state_since,
         token_hash = excluded.token_hash, registered_at = excluded.registered_at,
         last_heartbeat = excluded.last_heartbeat, metrics = excluded.metrics`,
      [
        rows.map((r) => r.name),
        rows.map((r) => r.service),
        rows.map((r) => r.region),
        rows.map((r) => r.address),
        rows.map((r) => r.labels),
        rows.map((r) => r.state),
        rows.map((r) => ms(r.state_since)),
        rows.map((r) => r.token_hash),
        rows.map((r) => ms(r.registered_at)),
        rows.map((r) => msOrNull(r.last_heartbeat)),
        rows.map((r) => r.metrics),
      ],
    );
  }

  /** One node by name. */
  async getNode(name: string): Promise<NodeRecord | undefined> {
    const rows = await this.query<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE name = $1`, [name]);
    return rows[0] && toNode(rows[0]);
  }

  /** Nodes matching a filter, ordered by name. */
  async listNodes(filter: NodeFilter = {}): Promise<NodeRecord[]> {
    const { where, params } = conditions({ service: filter.service, region: filter.region, state: filter.state });
    // COLLATE "C" orders by code point, as SQLite and the memory store do, whatever the database's locale.
    const rows = await this.query<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes ${where} ORDER BY name COLLATE "C"`, params);
    return rows.map(toNode);
  }

  /** Appends node state transitions, all in one transaction. */
  async appendNodeEvents(events: NodeEvent[], fence?: WriteFence): Promise<void> {
    this.checkOpen();
    events.forEach(checkNodeEvent);
    if (events.length === 0) return;
    const rows = events.map(fromNodeEvent);
    await this.fenced(
      fence,
      'appending node events',
      (guard) => `${guard.with}
       INSERT INTO node_events (at, node, from_state, to_state, cause)
       SELECT at, node, from_state, to_state, cause
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
            WITH ORDINALITY AS t (at, node, from_state, to_state, cause, ord)
       ${guard.where}
       ORDER BY ord`,
      [rows.map((r) => ms(r.at)), rows.map((r) => r.node), rows.map((r) => r.from_state), rows.map((r) => r.to_state), rows.map((r) => r.cause)],
    );
  }

  /** Transitions of one node (or all nodes), newest first. */
  async listNodeEvents(filter: { node?: string; limit?: number }): Promise<NodeEvent[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? null;
    const { where, params } = conditions({ node: filter.node });
    const rows = await this.query<NodeEventRow>(
      `SELECT at, node, from_state, to_state, cause FROM node_events ${where}
       ORDER BY at DESC, id DESC LIMIT $${params.length + 1}`,
      [...params, limit],
    );
    return rows.map(toNodeEvent);
  }

  /** Appends controller decisions, all in one transaction. */
  async appendDecisions(decisions: DecisionRecord[]): Promise<void> {
    this.checkOpen();
    decisions.forEach(checkDecision);
    if (decisions.length === 0) return;
    const rows = decisions.map(fromDecision);
    await this.query(
      `INSERT INTO decisions (at, controller, service, region, kind, summary, why, commit_sha)
       SELECT at, controller, service, region, kind, summary, why, commit_sha
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])
            WITH ORDINALITY AS t (at, controller, service, region, kind, summary, why, commit_sha, ord)
       ORDER BY ord`,
      [
        rows.map((r) => ms(r.at)),
        rows.map((r) => r.controller),
        rows.map((r) => r.service),
        rows.map((r) => r.region),
        rows.map((r) => r.kind),
        rows.map((r) => r.summary),
        rows.map((r) => r.why),
        rows.map((r) => r.commit_sha),
      ],
    );
  }

  /** Decisions matching a filter, newest first. */
  async listDecisions(filter: DecisionFilter = {}): Promise<DecisionRecord[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? null;
    const { where, params } = timeBounds(conditions({ service: filter.service, region: filter.region }), {
      since: checkBound('since', filter.since),
      before: checkBound('before', filter.before),
    });
    const rows = await this.query<DecisionRow>(
      `SELECT at, controller, service, region, kind, summary, why, commit_sha FROM decisions ${where}
       ORDER BY at DESC, id DESC LIMIT $${params.length + 1}`,
      [...params, limit],
    );
    return rows.map(toDecision);
  }

  /** Appends rows of the metrics history, all in one transaction (one statement). */
  async appendHistory(rows: HistoryRow[]): Promise<void> {
    this.checkOpen();
    rows.forEach(checkHistoryRow);
    if (rows.length === 0) return;
    const r = rows.map(fromHistory);
    await this.query(
      `INSERT INTO metrics_history (${HISTORY_COLUMNS})
       SELECT ${HISTORY_COLUMNS}
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[],
                   $10::int[], $11::float8[], $12::float8[], $13::float8[])
            WITH ORDINALITY AS t (${HISTORY_COLUMNS}, ord)
       ORDER BY ord`,
      [
        r.map((x) => ms(x.at)),
        r.map((x) => x.service),
        r.map((x) => x.region),
        r.map((x) => x.cpu_demand),
        r.map((x) => x.active),
        r.map((x) => x.warm),
        r.map((x) => x.drain),
        r.map((x) => x.down),
        r.map((x) => x.unknown),
        r.map((x) => x.weight),
        r.map((x) => x.qps),
        r.map((x) => x.error_rate),
        r.map((x) => x.rtt_ms),
      ],
    );
  }

  /** Rows of the metrics history matching a filter, oldest first. */
  async listHistory(filter: HistoryFilter = {}): Promise<HistoryRow[]> {
    this.checkOpen();
    const limit = checkLimit(filter.limit) ?? null;
    const params: unknown[] = [];
    const parts: string[] = [];
    if (filter.service !== undefined) {
      params.push(filter.service);
      parts.push(`service = $${params.length}`);
    }
    if (filter.since !== undefined) {
      params.push(filter.since);
      parts.push(`at >= $${params.length}::float8`);
    }
    if (filter.until !== undefined) {
      params.push(filter.until);
      parts.push(`at < $${params.length}::float8`);
    }
    params.push(limit);
    const where = parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
    const rows = await this.query<HistorySqlRow>(`SELECT ${HISTORY_COLUMNS} FROM metrics_history ${where} ORDER BY at, id LIMIT $${params.length}`, params);
    return rows.map(toHistory);
  }

  /** Deletes rows older than `limits.before`, then the oldest beyond `limits.maxRows`, in one statement; answers how many went. */
  async pruneHistory(limits: HistoryLimits): Promise<number> {
    this.checkOpen();
    checkHistoryLimits(limits);
    // Ids grow with each append, so the rows past the newest `maxRows` ids are the oldest ones.
    const rows = await this.query<{ n: number | string }>(
      `WITH gone AS (
         DELETE FROM metrics_history
         WHERE at < $1::float8 OR id <= (SELECT id FROM metrics_history ORDER BY id DESC OFFSET $2 LIMIT 1)
         RETURNING 1
       )
       SELECT count(*)::int AS n FROM gone`,
      [limits.before, limits.maxRows],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Inserts or replaces the hold on (service, region, key). */
  async putHold(hold: OverrideHold): Promise<void> {
    this.checkOpen();
    checkHold(hold);
    const row = fromHold(hold);
    await this.query(
      `INSERT INTO override_holds (service, region, key, commit_sha, author, since, until)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (service, region, key) DO UPDATE SET
         commit_sha = excluded.commit_sha, author = excluded.author, since = excluded.since, until = excluded.until`,
      [row.service, row.region, row.key, row.commit_sha, row.author, ms(row.since), ms(row.until)],
    );
  }

  /** Holds still in force at `now` (epoch ms), or every hold when `now` is omitted; see SqliteStore. */
  async listHolds(now?: number): Promise<OverrideHold[]> {
    const columns = 'service, region, key, commit_sha, author, since, until';
    const order = 'ORDER BY service COLLATE "C", region COLLATE "C", key COLLATE "C"';
    const rows =
      now === undefined
        ? await this.query<HoldRow>(`SELECT ${columns} FROM override_holds ${order}`)
        : await this.query<HoldRow>(`SELECT ${columns} FROM override_holds WHERE until > $1::float8 ${order}`, [now]);
    return rows.map(toHold);
  }

  /** Takes the lease when it is free, expired or already ours; answers the lease as it stands afterwards. */
  async acquireLease(name: string, holder: string, address: string, ttlMs: number): Promise<Lease> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, address, ttlMs });
    // One statement decides and writes under the row's lock: a new row gets token 1; an
    // expired one changes hands with token + 1 (even to its last holder); a live one of
    // ours is extended with its token; a live one of another holder is left alone.
    const taken = await this.query<LeaseRow>(
      `INSERT INTO leases AS l (${LEASE_COLUMNS}) VALUES ($1, $2, $3, 1, ${NOW_MS} + $4)
       ON CONFLICT (name) DO UPDATE SET
         token = CASE WHEN l.expires_at > ${NOW_MS} THEN l.token ELSE l.token + 1 END,
         holder = excluded.holder, address = excluded.address, expires_at = excluded.expires_at
       WHERE l.holder = excluded.holder OR l.expires_at <= ${NOW_MS}
       RETURNING ${LEASE_COLUMNS}`,
      [name, holder, address, ttlMs],
    );
    if (taken[0]) return toLease(taken[0]);
    const [held] = await this.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE name = $1`, [name]);
    // The row existed a moment ago and leases are never deleted.
    if (!held) throw new StoreError('XP_ERR_STORE_UNAVAILABLE', `store ${redactUrl(this.url)}: lease ${name} vanished while being acquired`);
    return toLease(held);
  }

  /** Extends the lease if `holder` still holds it with `token`; false when it was lost. */
  async renewLease(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, token, ttlMs });
    const renewed = await this.query(
      `UPDATE leases SET expires_at = ${NOW_MS} + $4
       WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > ${NOW_MS}
       RETURNING token`,
      [name, holder, token, ttlMs],
    );
    return renewed.length === 1;
  }

  /** Gives the lease up at once if `holder` holds it with `token`; it keeps its token, so the next holder's is higher. */
  async releaseLease(name: string, holder: string, token: number): Promise<void> {
    this.checkOpen();
    checkLeaseArgs({ name, holder, token });
    await this.query(
      `UPDATE leases SET expires_at = ${NOW_MS}
       WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > ${NOW_MS}`,
      [name, holder, token],
    );
  }

  /** The lease as it stands, expired or not, or undefined if never taken. */
  async currentLease(name: string): Promise<Lease | undefined> {
    const rows = await this.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE name = $1`, [name]);
    return rows[0] && toLease(rows[0]);
  }

  /** Closes the pool's connections; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Runs a write of at least one row; with a fence, in the same statement as a check that the
   * lease is held (`FOR SHARE`: a concurrent renewal or takeover waits for the write, or the write
   * re-checks against it), and refuses with XP_ERR_STORE_FENCED when nothing was written for that.
   */
  private async fenced(fence: WriteFence | undefined, what: string, sql: (guard: { with: string; where: string }) => string, params: unknown[]): Promise<void> {
    if (fence === undefined) {
      await this.query(sql({ with: '', where: '' }), params);
      return;
    }
    const [lease, holder, token] = [params.length + 1, params.length + 2, params.length + 3];
    const written = await this.query(
      `${sql({
        with: `WITH held AS (SELECT 1 FROM leases WHERE name = $${lease} AND holder = $${holder} AND token = $${token} AND expires_at > ${NOW_MS} FOR SHARE)`,
        where: 'WHERE EXISTS (SELECT 1 FROM held)',
      })}
       RETURNING 1`,
      [...params, fence.lease, fence.holder, fence.token],
    );
    if (written.length === 0) throw fencedError(fence, `store ${redactUrl(this.url)}: ${what}`);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('XP_ERR_STORE_CLOSED', `store ${redactUrl(this.url)} is closed`);
  }

  // Rows come back typed by the table's row interface: the columns are the ones selected.
  private async query<Row>(sql: string, params: unknown[] = []): Promise<Row[]> {
    this.checkOpen();
    try {
      const result = await this.pool.query(sql, params);
      return result.rows as Row[];
    } catch (err) {
      throw isUnreachable(err) ? unavailableError(this.url, err) : err;
    }
  }
}

// Only the set fields become conditions, numbered $1, $2, ... in order.
function conditions(fields: Record<string, string | undefined>): { where: string; params: string[] } {
  const params: string[] = [];
  const parts: string[] = [];
  for (const [column, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    params.push(value);
    parts.push(`${column} = $${params.length}`);
  }
  return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}

// The time bounds of a newest-first page: `at >= since`, `at < before`, after the set fields' conditions.
function timeBounds(
  base: { where: string; params: string[] },
  bounds: { since: number | undefined; before: number | undefined },
): { where: string; params: (string | number)[] } {
  const parts = base.where === '' ? [] : [base.where.slice('WHERE '.length)];
  const params: (string | number)[] = [...base.params];
  if (bounds.since !== undefined) {
    params.push(Math.ceil(bounds.since));
    parts.push(`at >= $${params.length}`);
  }
  if (bounds.before !== undefined) {
    params.push(Math.ceil(bounds.before));
    parts.push(`at < $${params.length}`);
  }
  return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}
