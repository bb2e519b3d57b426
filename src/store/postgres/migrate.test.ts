import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freshPostgresDb, postgresAdminUrl, postgresSkipReason, type PostgresDb } from '../../testing/index.js';
import { StoreError } from '../errors.js';
import type { Migration } from '../schema-steps.js';
import { createPool } from './connection.js';
import { appliedVersions, migrate } from './migrate.js';
import { PG_MIGRATIONS } from './migrations.js';

const admin = await postgresAdminUrl();
const skip = admin === undefined && postgresSkipReason();

const steps: Migration[] = [
  { version: 1, name: 'one', sql: 'CREATE TABLE a (x integer)' },
  { version: 2, name: 'two', sql: 'CREATE TABLE b (y integer)' },
];

const made: PostgresDb[] = [];
// One at a time: each drop opens an admin connection, and the server's are few.
after(async () => {
  for (const db of made) await db.drop();
});

async function freshPool() {
  const db = await freshPostgresDb();
  assert.ok(db);
  made.push(db);
  const pool = createPool(db.url, { maxConnections: 4 });
  after(() => pool.end());
  return pool;
}

async function versions(pool: Awaited<ReturnType<typeof freshPool>>): Promise<number[]> {
  const client = await pool.connect();
  try {
    return await appliedVersions(client);
  } finally {
    client.release();
  }
}

describe('Postgres migrate', { skip }, () => {
  it('applies every step in order and records when, by the server clock', async () => {
    const pool = await freshPool();
    const before = Date.now();
    assert.deepEqual(await migrate(pool, steps, 'db'), [1, 2]);
    const { rows } = await pool.query<{ version: number; applied_at: number }>('SELECT version, applied_at FROM schema_migrations');
    assert.deepEqual(
      rows.map((r) => r.version),
      [1, 2],
    );
    for (const r of rows) assert.ok(Math.abs(r.applied_at - before) < 60_000, String(r.applied_at));
  });

  it('applies only the steps added since the last run', async () => {
    const pool = await freshPool();
    assert.deepEqual(await versions(pool), []);
    await migrate(pool, steps.slice(0, 1), 'db');
    assert.deepEqual(await migrate(pool, steps, 'db'), [2]);
    assert.deepEqual(await migrate(pool, steps, 'db'), []);
  });

  it('keeps nothing of a step that fails, and keeps the steps before it', async () => {
    const pool = await freshPool();
    const broken: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE c (z integer); CREATE TABLE a (x integer)' };
    await assert.rejects(
      migrate(pool, [...steps, broken], 'db-name'),
      (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_MIGRATION' && err.message.includes('db-name: schema migration 3 (broken)'),
    );
    assert.deepEqual(await versions(pool), [1, 2]);
    assert.equal((await pool.query<{ t: string | null }>(`SELECT to_regclass('c') AS t`)).rows[0]?.t, null);
  });

  it('refuses a database that has run a step it does not know', async () => {
    const pool = await freshPool();
    await migrate(pool, steps, 'db');
    await assert.rejects(migrate(pool, steps.slice(0, 1), 'db'), (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_SCHEMA_NEWER');
  });

  it('applies each step once when several migrate the same database at once', async () => {
    const pool = await freshPool();
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(pool, steps, 'db')));
    assert.deepEqual(results.flat().sort(), [1, 2]);
    assert.deepEqual(await versions(pool), [1, 2]);
  });
});

describe('Postgres migrations', () => {
  it('numbers the shipped migrations 1, 2, 3 in order', () => {
    assert.deepEqual(
      PG_MIGRATIONS.map((m) => m.version),
      PG_MIGRATIONS.map((_, i) => i + 1),
    );
  });
});
