import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { StoreError } from './errors.js';
import { DEFAULT_DB_PATH, openStore } from './factory.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'xplane-factory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function unsupported(text: string) {
  return (err: unknown) => err instanceof StoreError && err.code === 'XP_ERR_STORE_UNSUPPORTED' && err.message.includes(text);
}

describe('openStore', () => {
  it('opens SQLite at a plain path, creating its directory', async () => {
    const path = join(dir, 'a', 'x.db');
    const store = await openStore(path);
    assert.ok(store instanceof SqliteStore);
    assert.ok(existsSync(path));
    await store.close();
  });

  it('opens SQLite for sqlite: and file: specs', async () => {
    for (const [spec, file] of [
      [`sqlite:${join(dir, 's1.db')}`, 's1.db'],
      [`sqlite://${join(dir, 's2.db')}`, 's2.db'],
      [`file:${join(dir, 'f1.db')}`, 'f1.db'],
      [pathToFileURL(join(dir, 'f2.db')).href, 'f2.db'],
    ] as const) {
      const store = await openStore(spec);
      assert.ok(store instanceof SqliteStore, spec);
      await store.close();
      assert.ok(existsSync(join(dir, file)), spec);
    }
  });

  it('opens in-memory SQLite for :memory: and the fake for memory:', async () => {
    const sqlite = await openStore(':memory:');
    assert.ok(sqlite instanceof SqliteStore);
    await sqlite.close();
    const fake = await openStore('memory:');
    assert.ok(fake instanceof MemoryStore);
  });

  it('opens Postgres for postgres URLs, and names an unreachable server without printing the password', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    for (const scheme of ['postgres', 'postgresql']) {
      await assert.rejects(openStore(`${scheme}://xp:s3cret@127.0.0.1:1/xplane`), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.code, 'XP_ERR_STORE_OPEN');
        assert.ok(!err.message.includes('s3cret'), err.message);
        assert.ok(err.message.includes(`${scheme}://xp:***@127.0.0.1:1/xplane`), err.message);
        return true;
      });
    }
  });

  it('masks a password given as an option of the URL', async () => {
    await assert.rejects(openStore('mysql://db/x?user=a&password=s3cret&x=1'), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.ok(err.message.includes('mysql://db/x?user=a&password=***&x=1'), err.message);
      return true;
    });
  });

  it('refuses an unknown scheme, naming the value', async () => {
    await assert.rejects(openStore('mysql://db/xplane'), unsupported('mysql://db/xplane'));
    await assert.rejects(openStore('memory:cache'), unsupported('memory:cache'));
    await assert.rejects(openStore('  '), unsupported('empty'));
  });

  it('puts the default database under .xplane', () => {
    assert.equal(DEFAULT_DB_PATH, '.xplane/xplane.db');
  });
});
