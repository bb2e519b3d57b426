// node:sqlite has no transaction helper. The store never opens a transaction
// inside another, so there are no savepoints: a nested call fails at its BEGIN
// ("cannot start a transaction within a transaction") instead of joining the outer one.
import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `fn` in one transaction and answers what it returns: COMMIT when it returns, ROLLBACK
 * when it (or the COMMIT) throws, and the error is thrown on. `immediate` takes the write lock
 * at BEGIN, so what `fn` reads cannot change before it writes.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T, options: { immediate?: boolean } = {}): T {
  db.exec(options.immediate ? 'BEGIN IMMEDIATE' : 'BEGIN');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    // Some errors (a full disk, an I/O error) make SQLite roll back by itself; a second
    // ROLLBACK would fail and hide the error that matters.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
