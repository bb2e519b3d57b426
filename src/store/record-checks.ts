// Checks of the closed sets and timestamps in store records. Both stores run
// them on a whole batch before writing anything, so a bad record fails the
// same way everywhere and a batch is refused before it is half applied.
import { StoreError } from './errors.js';
import type { DecisionRecord, HistoryLimits, HistoryRow, NodeEvent, NodeRecord, NodeState, OverrideHold, SyncRecord } from './types.js';

const NODE_STATES: ReadonlySet<string> = new Set<NodeState>(['warm', 'active', 'drain', 'deleted', 'down']);
const SYNC_STATUSES: ReadonlySet<string> = new Set<SyncRecord['status']>(['ok', 'invalid', 'error']);
const CONTROLLERS: ReadonlySet<string> = new Set<DecisionRecord['controller']>(['gtm', 'autoscale']);
const HOLD_KEYS: ReadonlySet<string> = new Set<OverrideHold['key']>(['weight', 'nodes', 'excluded']);

function fail(what: string, field: string, value: unknown): never {
  // JSON.stringify answers undefined for undefined, which its type leaves out.
  throw new StoreError('XP_ERR_STORE_INVALID_RECORD', `${what}: invalid ${field} ${(JSON.stringify(value) as string | undefined) ?? String(value)}`);
}

function checkOneOf(set: ReadonlySet<string>, what: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || !set.has(value)) fail(what, field, value);
}

function checkText(what: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') fail(what, field, value);
}

function checkTime(what: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(what, field, value);
}

/** Refuses a node whose name, state or timestamps are not storable. */
export function checkNode(node: NodeRecord, index = 0): void {
  const what = `node #${index}`;
  checkText(what, 'name', node.name);
  checkOneOf(NODE_STATES, `${what} ${node.name}`, 'state', node.state);
  checkTime(`${what} ${node.name}`, 'stateSince', node.stateSince);
  checkTime(`${what} ${node.name}`, 'registeredAt', node.registeredAt);
  if (node.lastHeartbeat !== null) checkTime(`${what} ${node.name}`, 'lastHeartbeat', node.lastHeartbeat);
}

/** Refuses a node event with an unknown state or a bad timestamp. */
export function checkNodeEvent(event: NodeEvent, index = 0): void {
  const what = `node event #${index}`;
  checkText(what, 'node', event.node);
  checkTime(what, 'at', event.at);
  if (event.from !== null) checkOneOf(NODE_STATES, what, 'from', event.from);
  checkOneOf(NODE_STATES, what, 'to', event.to);
}

/** Refuses a decision from an unknown controller or with a bad timestamp. */
export function checkDecision(decision: DecisionRecord, index = 0): void {
  const what = `decision #${index}`;
  checkTime(what, 'at', decision.at);
  checkOneOf(CONTROLLERS, what, 'controller', decision.controller);
}

/** Refuses a sync record with an unknown status or a bad timestamp. */
export function checkSync(record: SyncRecord): void {
  checkTime('sync record', 'at', record.at);
  checkOneOf(SYNC_STATUSES, 'sync record', 'status', record.status);
}

/** Refuses a hold on an unknown key or with bad bounds. */
export function checkHold(hold: OverrideHold): void {
  const what = `hold ${hold.service}/${hold.region}`;
  checkOneOf(HOLD_KEYS, what, 'key', hold.key);
  checkTime(what, 'since', hold.since);
  checkTime(what, 'until', hold.until);
}

/** Refuses a snapshot without a commit. */
export function checkSnapshot(commit: string, storedAt: number): void {
  checkText('snapshot', 'commit', commit);
  checkTime(`snapshot ${commit}`, 'storedAt', storedAt);
}

/** Refuses a metrics history row with a bad time, an empty name, a count that is not a whole number >= 0 or a figure that is not finite. */
export function checkHistoryRow(row: HistoryRow, index = 0): void {
  const what = `history row #${index}`;
  checkTime(what, 'at', row.at);
  checkText(what, 'service', row.service);
  checkText(what, 'region', row.region);
  for (const field of ['active', 'warm', 'drain', 'down', 'unknown'] as const) {
    const n = row[field];
    if (!Number.isSafeInteger(n) || n < 0) fail(what, field, n);
  }
  if (row.weight !== null && !Number.isSafeInteger(row.weight)) fail(what, 'weight', row.weight);
  for (const field of ['cpuDemand', 'qps', 'errorRate', 'rttMs'] as const) {
    const v = row[field];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) fail(what, field, v);
  }
}

/** Refuses history limits that are not a time and a whole number of rows >= 0. */
export function checkHistoryLimits(limits: HistoryLimits): void {
  checkTime('history limits', 'before', limits.before);
  if (!Number.isSafeInteger(limits.maxRows) || limits.maxRows < 0) fail('history limits', 'maxRows', limits.maxRows);
}

/** A query's time bound (epoch ms), or undefined for none; refuses one that is not a finite number. */
export function checkBound(field: string, value: number | undefined): number | undefined {
  if (value !== undefined) checkTime('query', field, value);
  return value;
}

/** The row limit to apply, or undefined for none; refuses negative or fractional limits. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 0) fail('query', 'limit', limit);
  return limit;
}
