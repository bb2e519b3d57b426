// Brings a database up to the schema this version knows. Each step runs in its
// own IMMEDIATE transaction that re-reads the applied versions first, so two
// processes opening the same new file at once apply every step exactly once.
import { StoreError } from '../errors.js';
import { checkOrdered, refuseNewer, type Migration } from '../schema-steps.js';
import type { Connection } from './connection.js';
import { prepare } from './statement.js';
import { transaction } from './transaction.js';

/** Versions recorded in `schema_migrations`, ascending. */
export function appliedVersions(db: Connection): number[] {
  const rows = prepare<[], { version: number }>(db, 'SELECT version FROM schema_migrations ORDER BY version').all();
  return rows.map((r) => r.version);
}

/**
 * Applies the steps of `migrations` that the database has not run and returns their versions.
 * Refuses a database that has run a step this list does not know, rather than downgrade it.
 */
export function migrate(db: Connection, migrations: readonly Migration[], now: () => number = Date.now): number[] {
  checkOrdered(migrations);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const known = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const record = prepare<[number, number]>(db, 'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');

  refuseNewer(appliedVersions(db), known, db.name, 'another file');
  for (const step of migrations) {
    const run = (): boolean => {
      const done = appliedVersions(db);
      refuseNewer(done, known, db.name, 'another file');
      if (done.includes(step.version)) return false;
      db.exec(step.sql);
      record.run(step.version, now());
      return true;
    };
    let ran: boolean;
    try {
      ran = transaction(db, run, { immediate: true });
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        'XP_ERR_STORE_MIGRATION',
        `${db.name}: schema migration ${step.version} (${step.name}) failed and was rolled back: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (ran) applied.push(step.version);
  }
  return applied;
}
