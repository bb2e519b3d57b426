// Brings a Postgres database up to the schema this version knows. Each step
// runs in its own transaction that first takes a transaction-scoped advisory
// lock and re-reads the applied versions, so replicas starting at once apply
// every step exactly once; a step that fails is rolled back whole.
import type pg from 'pg';
import { StoreError } from '../errors.js';
import { checkOrdered, refuseNewer, type Migration } from '../schema-steps.js';
import { NOW_MS } from './clock.js';

// Any fixed number: advisory locks are scoped to the database, so only
// xplane replicas on the same database wait for each other on it.
const MIGRATION_LOCK = 0x78706c616e65; // "xplane"

/** Versions recorded in `schema_migrations`, ascending (none before the first migration). */
export async function appliedVersions(client: pg.ClientBase): Promise<number[]> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations') AS t`);
  if (exists.rows[0]?.t == null) return [];
  const rows = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.rows.map((r) => r.version);
}

/**
 * Applies the steps of `migrations` the database has not run and returns their versions.
 * Refuses a database that has run a step this list does not know, rather than downgrade it.
 * `where` names the database in errors (with its password redacted).
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[], where: string): Promise<number[]> {
  checkOrdered(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const client = await pool.connect();
  let broken = false;
  try {
    for (const step of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
        const done = await appliedVersions(client);
        refuseNewer(done, known, where, 'another database');
        if (done.includes(step.version)) {
          await client.query('COMMIT');
          continue;
        }
        await client.query(step.sql);
        await client.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, ${NOW_MS})`, [step.version]);
        await client.query('COMMIT');
        applied.push(step.version);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if (err instanceof StoreError) throw err;
        throw new StoreError(
          'XP_ERR_STORE_MIGRATION',
          `${where}: schema migration ${step.version} (${step.name}) failed and was rolled back: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    return applied;
  } finally {
    client.release(broken);
  }
}
