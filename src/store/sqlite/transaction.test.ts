import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Connection } from './connection.js';
import { transaction } from './transaction.js';

const dir = mkdtempSync(join(tmpdir(), 'xplane-tx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function withTable(path = ':memory:'): Connection {
  const db = new Connection(path);
  db.exec('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
  return db;
}

function count(db: Connection): unknown {
  return db.prepare('SELECT count(*) AS n FROM t').get()?.n;
}

describe('transaction', () => {
  it('commits what fn wrote and answers what it returned', () => {
    const db = withTable();
    assert.equal(
      transaction(db, () => db.prepare('INSERT INTO t VALUES (1), (2)').run().changes),
      2,
    );
    assert.equal(count(db), 2);
    assert.equal(db.isTransaction, false);
    db.close();
  });

  it('rolls back everything fn wrote when it throws, and throws the same error', () => {
    const db = withTable();
    const boom = new Error('boom');
    assert.throws(
      () =>
        transaction(db, () => {
          db.exec('INSERT INTO t VALUES (1)');
          throw boom;
        }),
      (err: unknown) => err === boom,
    );
    assert.equal(count(db), 0);
    assert.equal(db.isTransaction, false);
    db.close();
  });

  it('throws the error of fn when SQLite already rolled the transaction back', () => {
    const db = withTable();
    const boom = new Error('boom');
    assert.throws(
      () =>
        transaction(db, () => {
          db.exec('INSERT INTO t VALUES (1); ROLLBACK');
          throw boom;
        }),
      (err: unknown) => err === boom,
    );
    assert.equal(count(db), 0);
    db.close();
  });

  it('takes the write lock at BEGIN when immediate, so another writer waits', () => {
    const path = join(dir, 'lock.db');
    const a = withTable(path);
    const b = withTable(path);
    b.exec('PRAGMA busy_timeout = 0');
    transaction(
      a,
      () => {
        assert.throws(() => b.exec('BEGIN IMMEDIATE'), /locked/);
      },
      { immediate: true },
    );
    transaction(a, () => {
      // A deferred transaction that has not written yet holds no write lock.
      b.exec('BEGIN IMMEDIATE; ROLLBACK');
    });
    a.close();
    b.close();
  });

  it('refuses to start inside another transaction', () => {
    const db = withTable();
    assert.throws(() => transaction(db, () => transaction(db, () => 1)), /within a transaction/);
    assert.equal(db.isTransaction, false);
    db.close();
  });
});
