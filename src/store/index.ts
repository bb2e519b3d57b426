// The store's public face: other folders import only from here.
export type {
  ConfigSnapshot,
  DecisionFilter,
  DecisionRecord,
  HistoryFilter,
  HistoryLimits,
  HistoryRow,
  Lease,
  NodeEvent,
  NodeFilter,
  NodeMetrics,
  NodeRecord,
  NodeState,
  OverrideHold,
  Store,
  SyncRecord,
  WriteFence,
} from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { DEFAULT_DB_PATH, openStore } from './factory.js';
export { MemoryStore, type StoreCall } from './memory.js';
export { SqliteStore } from './sqlite/sqlite-store.js';
export { PostgresStore } from './postgres/postgres-store.js';
export { redactUrl } from './redact.js';
export { BUSY_TIMEOUT_MS } from './sqlite/connection.js';
