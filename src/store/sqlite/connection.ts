// Opens an SQLite file with the settings the store relies on, and turns a
// missing directory, a corrupt file or a locked database into one clear error
// that names the file instead of a raw driver stack.
import { errorText } from '../../errors.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
// Loaded with getBuiltinModule after the warning filter is in place: Node queues its
// experimental warning when node:sqlite is first loaded, and a static import could load it
// while the module graph is still linking, before any module body has run.
import './quiet-warning.js';
import { StoreError } from '../errors.js';
import { sqliteCode } from './result-code.js';

const { DatabaseSync } = process.getBuiltinModule('node:sqlite');

/** How long a writer waits for another connection's lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/** True for the names SQLite keeps in memory or in a private temp file. */
export function isTransient(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** A node:sqlite database that keeps the path it was opened with, as given, for messages to name. */
export class Connection extends DatabaseSync {
  constructor(readonly name: string) {
    super(name);
  }
}

/** A file whose pages SQLite's own check finds damaged. */
class DamagedFile extends Error {
  readonly code = 'SQLITE_CORRUPT';
}

/**
 * Opens `path` (creating its directory), checks the file before anything writes to it,
 * makes sure no other process holds the write lock for longer than the busy timeout,
 * and sets WAL, synchronous=NORMAL and foreign keys.
 */
export function openConnection(path: string): Connection {
  let db: Connection | undefined;
  try {
    if (!isTransient(path)) mkdirSync(dirname(path), { recursive: true });
    db = new Connection(path);
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A damaged file is refused as it is: switching it to WAL would already rewrite its header.
    // Reading the schema catches a file that is not a database; quick_check (a read of every
    // page, ~1 s per GB) catches garbage or truncation in the pages after it.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    const check = pragmaValue(db, 'PRAGMA quick_check(1)');
    if (check !== 'ok') throw new DamagedFile(`quick_check: ${String(check).replace(/\s*\n\s*/g, ' ')}`);
    // Another process holding the write lock would otherwise surface later as a failed migration.
    db.exec('BEGIN IMMEDIATE; ROLLBACK');
    // WAL lets the API read while a controller writes; NORMAL is durable across
    // process crashes in WAL mode and only risks the last commits on power loss.
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    return db;
  } catch (err) {
    if (db?.isOpen) db.close();
    throw new StoreError('XP_ERR_STORE_OPEN', `cannot open store ${path}: ${describe(err)}`, { cause: err });
  }
}

// The first column of a pragma's first row: the answer of a pragma that answers one value.
function pragmaValue(db: Connection, sql: string): unknown {
  const row = db.prepare(sql).get();
  return row === undefined ? undefined : Object.values(row)[0];
}

function describe(err: unknown): string {
  const code = sqliteCode(err);
  const message = errorText(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return `not a valid SQLite database (${message}); move it aside or point db at another file`;
  }
  if (code === 'SQLITE_BUSY') return `the database is locked by another process for more than ${BUSY_TIMEOUT_MS} ms (${message})`;
  return message;
}
