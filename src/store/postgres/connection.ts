// The Postgres connection pool with the settings the store relies on, and the
// translation of a refused or unreachable server into one StoreError that
// names the server and database (never the password) instead of a driver stack.
import { errorText } from '../../errors.js';
import pg from 'pg';
import { StoreError } from '../errors.js';
import { redactUrl } from '../redact.js';

/** Tuning of the pool; the defaults suit one xplane replica. */
export interface PoolOptions {
  /** Most connections this replica holds open (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection, new or from a full pool (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest a statement may run before the server cancels it (default 30 s). */
  statementTimeoutMs?: number;
}

const { INT8, JSON: JSON_TYPE, JSONB } = pg.types.builtins;

// bigint columns hold epoch ms and ids, all below 2^53: numbers, not the
// driver's default strings. json and jsonb stay text, so the row mapping that
// SQLite uses parses them (and reads `declarations` in its stored key order).
const types: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => {
    if (format !== 'binary') {
      if (oid === INT8) return (text: string) => Number(text);
      if (oid === JSON_TYPE || oid === JSONB) return (text: string) => text;
    }
    // pg-types types its parsers as `any`; each takes a column's text and answers its value.
    return pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown;
  },
};

/** A pool on `url` with bounded size, timeouts and xplane's type parsing; it does not connect yet. */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    keepAlive: true,
    application_name: 'xplane',
    types,
  });
  // An idle connection that the server drops (restart, failover) is reported
  // here; unhandled, it would end the process. The pool replaces it on demand.
  pool.on('error', () => {});
  return pool;
}

// SQLSTATE classes and socket codes that mean the server is not there to
// answer, as opposed to a query it refused.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when `err` says the server could not be reached or went away, rather than refusing one query. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/** The StoreError for a server that could not be opened: what it said, and what to check. */
export function openError(url: string, err: unknown): StoreError {
  return new StoreError('XP_ERR_STORE_OPEN', `cannot open store ${redactUrl(url)}: ${describe(url, err)}`, { cause: err });
}

/** The StoreError for an open store whose server went away. */
export function unavailableError(url: string, err: unknown): StoreError {
  return new StoreError('XP_ERR_STORE_UNAVAILABLE', `store ${redactUrl(url)} is unavailable: ${describe(url, err)}`, { cause: err });
}

function describe(url: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = errorText(err);
  const where = serverOf(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${where} (${message}); is Postgres running there?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${hostOf(url)} not found (${message})`;
    case '28P01':
    case '28000':
      return `${message}; check the user and password in the db URL and the server's pg_hba.conf`;
    case '3D000':
      return `${message}; create it (CREATE DATABASE) or point db at an existing one`;
    case '42501':
      return `${message}; the user needs CREATE on the database (or its schema) for the first start`;
  }
  if (/timeout exceeded when trying to connect/i.test(message)) return `no answer from ${where} (${message})`;
  if (/Connection terminated/i.test(message)) return `the connection to ${where} was lost (${message})`;
  return message;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return redactUrl(url);
  }
}

// host:port, for messages about an unreachable server.
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return redactUrl(url);
  }
}
