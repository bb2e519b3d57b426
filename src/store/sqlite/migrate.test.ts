import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../errors.js';
import { Connection } from './connection.js';
import { appliedVersions, migrate } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations.js';

const steps: Migration[] = [
  { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' },
  { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER)' },
];

describe('migrate', () => {
  it('applies every step in order and records when', () => {
    const db = new Connection(':memory:');
    assert.deepEqual(
      migrate(db, steps, () => 42),
      [1, 2],
    );
    // node:sqlite answers rows without a prototype; spread them to compare with literals.
    const rows = db.prepare('SELECT version, applied_at FROM schema_migrations').all();
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [
        { version: 1, applied_at: 42 },
        { version: 2, applied_at: 42 },
      ],
    );
    db.close();
  });

  it('applies only the steps added since the last run', () => {
    const db = new Connection(':memory:');
    migrate(db, steps.slice(0, 1));
    assert.deepEqual(migrate(db, steps), [2]);
    assert.deepEqual(migrate(db, steps), []);
    db.close();
  });

  it('keeps nothing of a step that fails, and keeps the steps before it', () => {
    const db = new Connection(':memory:');
    const broken: Migration = { version: 3, name: 'broken', sql: 'CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER)' };
    assert.throws(
      () => migrate(db, [...steps, broken]),
      (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_MIGRATION' && err.message.includes('3 (broken)'),
    );
    assert.deepEqual(appliedVersions(db), [1, 2]);
    assert.equal(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'c'").get(), undefined);
    db.close();
  });

  it('refuses a database that has run a step it does not know', () => {
    const db = new Connection(':memory:');
    migrate(db, steps);
    assert.throws(
      () => migrate(db, steps.slice(0, 1)),
      (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_SCHEMA_NEWER',
    );
    db.close();
  });

  it('refuses steps that are not numbered 1, 2, 3 in order', () => {
    const db = new Connection(':memory:');
    assert.throws(() => migrate(db, [steps[1]!, steps[0]!]), /numbered/);
    db.close();
  });

  it('numbers the shipped migrations 1, 2, 3 in order', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, i) => i + 1),
    );
  });
});
