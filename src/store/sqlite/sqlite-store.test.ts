import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStoreContract } from '../contract-suite.js';
import { StoreError } from '../errors.js';
import { Connection } from './connection.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { node } from '../../testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'xplane-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function freshPath(): string {
  files += 1;
  return join(dir, `nested-${files}`, 'xplane.db');
}

runStoreContract('SqliteStore (:memory:)', async () => SqliteStore.open(':memory:'));
let lastPath = '';
runStoreContract('SqliteStore (file)', async () => SqliteStore.open((lastPath = freshPath())), { openSibling: async () => SqliteStore.open(lastPath) });

function raw(path: string): Connection {
  return new Connection(path);
}

describe('SqliteStore on a file', () => {
  it('creates the parent directory and keeps data across close and reopen', async () => {
    const path = freshPath();
    const first = SqliteStore.open(path);
    await first.upsertNodes([node('jp-1')]);
    await first.putSnapshot({ commit: 'a1', declarations: { gtm: {}, autoscale: {}, regions: {}, stacks: {} }, storedAt: 5 });
    await first.close();

    const second = SqliteStore.open(path);
    assert.deepEqual(await second.getNode('jp-1'), node('jp-1'));
    assert.equal((await second.latestSnapshot())?.commit, 'a1');
    await second.close();
  });

  it('opens the file in WAL journal mode', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const db = raw(path);
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    db.close();
    await store.close();
  });

  it('records each migration once and applies nothing when opened again', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    const db = raw(path);
    const before = db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(
      before.map((r) => (r as { version: number }).version),
      MIGRATIONS.map((m) => m.version),
    );
    db.close();

    await SqliteStore.open(path).close();
    const again = raw(path);
    assert.deepEqual(again.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all(), before);
    again.close();
  });

  it('refuses a database migrated by a newer xplane, naming the file and versions', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    const db = raw(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(MIGRATIONS.length + 7, 1);
    db.close();

    assert.throws(
      () => SqliteStore.open(path),
      (err: unknown) =>
        err instanceof StoreError &&
        err.code === 'XP_ERR_STORE_SCHEMA_NEWER' &&
        err.message.includes(path) &&
        err.message.includes(`version ${MIGRATIONS.length + 7}`),
    );
  });

  it('refuses a file that is not an SQLite database with an error naming the file', () => {
    const path = join(dir, 'not-a-db.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough '.repeat(20));
    assert.throws(
      () => SqliteStore.open(path),
      (err: unknown) =>
        err instanceof StoreError && err.code === 'XP_ERR_STORE_OPEN' && err.message.includes(path) && err.message.includes('not a valid SQLite database'),
    );
  });

  it('refuses a directory given as the database file', () => {
    assert.throws(
      () => SqliteStore.open(dir),
      (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_OPEN' && err.message.includes(dir),
    );
  });
});

describe('SqliteStore batches', () => {
  it('upserts 10,000 nodes in one call', async () => {
    const store = SqliteStore.open(freshPath());
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`n-${String(i).padStart(5, '0')}`, { lastHeartbeat: i }));
    await store.upsertNodes(nodes);
    await store.upsertNodes(nodes.map((n) => ({ ...n, lastHeartbeat: n.lastHeartbeat! + 1 })));
    const listed = await store.listNodes({ service: 'svc-plus', region: 'jp', state: 'active' });
    assert.equal(listed.length, 10_000);
    assert.equal(listed[9_999]?.lastHeartbeat, 10_000);
    await store.close();
  });

  it('rolls back the whole batch when the database refuses a row midway', async () => {
    const store = SqliteStore.open(':memory:');
    await store.upsertNodes([node('jp-1')]);
    // An object where text belongs passes the record checks but not the SQLite binding.
    const bad = node('jp-3', { address: { host: 'x' } as unknown as string });
    await assert.rejects(store.upsertNodes([node('jp-1', { state: 'drain' }), node('jp-2'), bad]));
    assert.deepEqual(await store.listNodes(), [node('jp-1')]);
    await store.close();
  });
});
