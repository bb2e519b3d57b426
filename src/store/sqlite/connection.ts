// Opens an SQLite file with the settings the store relies on, and turns a
// missing directory, a corrupt file or a locked database into one clear error
// that names the file instead of a raw driver stack.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';

/** How long a writer waits for another connection's lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/** True for the names SQLite keeps in memory or in a private temp file. */
export function isTransient(path: string): boolean {
  return path === ':memory:' || path === '';
}

/**
 * Opens `path` (creating its directory), sets WAL, busy timeout, synchronous=NORMAL and
 * foreign keys, and reads the schema once so a file that is not a database fails here.
 */
export function openConnection(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (!isTransient(path)) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    // WAL lets the API read while a controller writes; NORMAL is durable across
    // process crashes in WAL mode and only risks the last commits on power loss.
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (err) {
    db?.close();
    throw new StoreError('XP_ERR_STORE_OPEN', `cannot open store ${path}: ${describe(err)}`, { cause: err });
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return `not a valid SQLite database (${message}); move it aside or point db at another file`;
  }
  if (code === 'SQLITE_BUSY') return `the database is locked by another process (${message})`;
  return message;
}
