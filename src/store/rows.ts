// The shape of each table's rows and their mapping to store records, shared
// by the SQL stores: SQLite and Postgres have the same tables and columns, and
// both hand JSON columns over as text (Postgres through a type parser that
// leaves json and jsonb unparsed). JSON is parsed here without validation:
// only the store writes it.
import type { Declarations, ConfigIssue } from '../config/index.js';
import type { ConfigSnapshot, DecisionRecord, HistoryRow, Lease, NodeEvent, NodeMetrics, NodeRecord, NodeState, OverrideHold, SyncRecord } from './types.js';

/** A `config_snapshots` row. */
export interface SnapshotRow {
  commit_sha: string;
  declarations: string;
  stored_at: number;
}

/** A `sync_records` row. */
export interface SyncRow {
  at: number;
  commit_sha: string | null;
  status: SyncRecord['status'];
  message: string;
  issues: string;
}

/** A `nodes` row. */
export interface NodeRow {
  name: string;
  service: string;
  region: string;
  address: string;
  labels: string;
  state: NodeState;
  state_since: number;
  token_hash: string;
  registered_at: number;
  last_heartbeat: number | null;
  metrics: string | null;
}

/** A `node_events` row. */
export interface NodeEventRow {
  at: number;
  node: string;
  from_state: NodeState | null;
  to_state: NodeState;
  cause: string;
}

/** A `decisions` row. */
export interface DecisionRow {
  at: number;
  controller: DecisionRecord['controller'];
  service: string;
  region: string;
  kind: string;
  summary: string;
  why: string;
  commit_sha: string | null;
}

/** An `override_holds` row. */
export interface HoldRow {
  service: string;
  region: string;
  key: OverrideHold['key'];
  commit_sha: string;
  author: string;
  since: number;
  until: number;
}

/** Row → snapshot. */
export function toSnapshot(row: SnapshotRow): ConfigSnapshot {
  return { commit: row.commit_sha, declarations: JSON.parse(row.declarations) as Declarations, storedAt: row.stored_at };
}

/** Sync record → row. */
export function fromSync(r: SyncRecord): SyncRow {
  return { at: r.at, commit_sha: r.commit, status: r.status, message: r.message, issues: JSON.stringify(r.issues) };
}

/** Row → sync record. */
export function toSync(row: SyncRow): SyncRecord {
  return {
    at: row.at,
    commit: row.commit_sha,
    status: row.status,
    message: row.message,
    issues: JSON.parse(row.issues) as ConfigIssue[],
  };
}

/** Node → row. */
export function fromNode(n: NodeRecord): NodeRow {
  return {
    name: n.name,
    service: n.service,
    region: n.region,
    address: n.address,
    labels: JSON.stringify(n.labels),
    state: n.state,
    state_since: n.stateSince,
    token_hash: n.tokenHash,
    registered_at: n.registeredAt,
    last_heartbeat: n.lastHeartbeat,
    metrics: n.metrics === null ? null : JSON.stringify(n.metrics),
  };
}

/** Row → node. */
export function toNode(row: NodeRow): NodeRecord {
  return {
    name: row.name,
    service: row.service,
    region: row.region,
    address: row.address,
    labels: JSON.parse(row.labels) as Record<string, string>,
    state: row.state,
    stateSince: row.state_since,
    tokenHash: row.token_hash,
    registeredAt: row.registered_at,
    lastHeartbeat: row.last_heartbeat,
    metrics: row.metrics === null ? null : (JSON.parse(row.metrics) as NodeMetrics),
  };
}

/** Node event → row. */
export function fromNodeEvent(e: NodeEvent): NodeEventRow {
  return { at: e.at, node: e.node, from_state: e.from, to_state: e.to, cause: e.cause };
}

/** Row → node event. */
export function toNodeEvent(row: NodeEventRow): NodeEvent {
  return { at: row.at, node: row.node, from: row.from_state, to: row.to_state, cause: row.cause };
}

/** Decision → row. */
export function fromDecision(d: DecisionRecord): DecisionRow {
  return {
    at: d.at,
    controller: d.controller,
    service: d.service,
    region: d.region,
    kind: d.kind,
    summary: d.summary,
    why: JSON.stringify(d.why),
    commit_sha: d.commit,
  };
}

/** Row → decision. */
export function toDecision(row: DecisionRow): DecisionRecord {
  return {
    at: row.at,
    controller: row.controller,
    service: row.service,
    region: row.region,
    kind: row.kind,
    summary: row.summary,
    why: JSON.parse(row.why) as DecisionRecord['why'],
    commit: row.commit_sha,
  };
}

/** Hold → row. */
export function fromHold(h: OverrideHold): HoldRow {
  return {
    service: h.service,
    region: h.region,
    key: h.key,
    commit_sha: h.commit,
    author: h.author,
    since: h.since,
    until: h.until,
  };
}

/** Row → hold. */
export function toHold(row: HoldRow): OverrideHold {
  return {
    service: row.service,
    region: row.region,
    key: row.key,
    commit: row.commit_sha,
    author: row.author,
    since: row.since,
    until: row.until,
  };
}

/** A `leases` row. */
export interface LeaseRow {
  name: string;
  holder: string;
  address: string;
  token: number;
  expires_at: number;
}

/** Lease → row. */
export function fromLease(l: Lease): LeaseRow {
  return { name: l.name, holder: l.holder, address: l.address, token: l.token, expires_at: l.expiresAt };
}

/** Row → lease. */
export function toLease(row: LeaseRow): Lease {
  return { name: row.name, holder: row.holder, address: row.address, token: row.token, expiresAt: row.expires_at };
}

/** A `metrics_history` row. */
export interface HistorySqlRow {
  at: number;
  service: string;
  region: string;
  cpu_demand: number | null;
  active: number;
  warm: number;
  drain: number;
  down: number;
  unknown: number;
  weight: number | null;
  qps: number | null;
  error_rate: number | null;
  rtt_ms: number | null;
}

/** The columns of `metrics_history` a history row is read from and written to, in this order. */
export const HISTORY_COLUMNS = 'at, service, region, cpu_demand, active, warm, drain, down, unknown, weight, qps, error_rate, rtt_ms';

/** History row → SQL row. */
export function fromHistory(h: HistoryRow): HistorySqlRow {
  return {
    at: h.at,
    service: h.service,
    region: h.region,
    cpu_demand: h.cpuDemand,
    active: h.active,
    warm: h.warm,
    drain: h.drain,
    down: h.down,
    unknown: h.unknown,
    weight: h.weight,
    qps: h.qps,
    error_rate: h.errorRate,
    rtt_ms: h.rttMs,
  };
}

/** SQL row → history row. */
export function toHistory(row: HistorySqlRow): HistoryRow {
  return {
    at: row.at,
    service: row.service,
    region: row.region,
    cpuDemand: row.cpu_demand,
    active: row.active,
    warm: row.warm,
    drain: row.drain,
    down: row.down,
    unknown: row.unknown,
    weight: row.weight,
    qps: row.qps,
    errorRate: row.error_rate,
    rttMs: row.rtt_ms,
  };
}
