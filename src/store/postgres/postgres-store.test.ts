import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { freshPostgresDb, postgresAdminUrl, postgresSkipReason, type PostgresDb, node } from '../../testing/index.js';
import { runStoreContract } from '../contract-suite.js';
import { StoreError } from '../errors.js';
import { openStore } from '../factory.js';
import { isUnreachable } from './connection.js';
import { PG_MIGRATIONS } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

const admin = await postgresAdminUrl();
const skip = admin === undefined && postgresSkipReason();

// Every database made here, dropped at the end (stores are closed by then).
const made: PostgresDb[] = [];
// One at a time: each drop opens an admin connection, and the server's are few.
after(async () => {
  for (const db of made) await db.drop();
});
async function freshDb(): Promise<PostgresDb> {
  const db = await freshPostgresDb();
  assert.ok(db, 'freshPostgresDb answered nothing although a server was found');
  made.push(db);
  return db;
}

async function sql<Row extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, params)).rows;
  } finally {
    await client.end();
  }
}

function withCode(code: string, ...texts: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreError, String(err));
    assert.equal(err.code, code, err.message);
    for (const text of texts) assert.ok(err.message.includes(text), `${JSON.stringify(err.message)} should name ${text}`);
    return true;
  };
}

if (skip) {
  describe('PostgresStore', { skip }, () => {});
} else {
  let last = '';
  runStoreContract('PostgresStore', async () => PostgresStore.open((last = (await freshDb()).url)), { openSibling: async () => PostgresStore.open(last) });
}

describe('PostgresStore on a server', { skip }, () => {
  it('is what openStore gives for postgres:// and postgresql:// URLs', async () => {
    const db = await freshDb();
    const store = await openStore(db.url);
    assert.ok(store instanceof PostgresStore);
    await store.close();
    const other = await openStore(db.url.replace(/^postgres:/, 'postgresql:'));
    assert.ok(other instanceof PostgresStore);
    await other.close();
  });

  it('records each migration once, and applies nothing when opened again', async () => {
    const db = await freshDb();
    await (await PostgresStore.open(db.url)).close();
    const before = await sql<{ version: number; applied_at: number }>(db.url, 'SELECT version, applied_at FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      before.map((r) => r.version),
      PG_MIGRATIONS.map((m) => m.version),
    );
    await (await PostgresStore.open(db.url)).close();
    assert.deepEqual(await sql(db.url, 'SELECT version, applied_at FROM schema_migrations ORDER BY version'), before);
  });

  it('applies every migration exactly once when many replicas open a new database at once', async () => {
    const db = await freshDb();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(db.url)));
    await Promise.all(stores.map((s) => s.close()));
    const rows = await sql<{ version: number }>(db.url, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => r.version),
      PG_MIGRATIONS.map((m) => m.version),
    );
  });

  it('refuses a database migrated by a newer xplane, naming it without its password', async () => {
    const db = await freshDb();
    await (await PostgresStore.open(db.url)).close();
    const newer = PG_MIGRATIONS.length + 7;
    await sql(db.url, 'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 1)', [newer]);
    const password = decodeURIComponent(new URL(db.url).password);
    await assert.rejects(PostgresStore.open(db.url), (err: unknown) => {
      withCode('XP_ERR_STORE_SCHEMA_NEWER', db.name, `version ${newer}`, 'another database')(err);
      assert.ok(password === '' || !(err as Error).message.includes(password));
      return true;
    });
  });

  it('keeps data across close and reopen', async () => {
    const db = await freshDb();
    const first = await PostgresStore.open(db.url);
    await first.upsertNodes([node('jp-1')]);
    const lease = await first.acquireLease('controller', 'a', 'http://a:7070', 60_000);
    await first.close();
    const second = await PostgresStore.open(db.url);
    assert.deepEqual(await second.getNode('jp-1'), node('jp-1'));
    assert.deepEqual(await second.currentLease('controller'), lease);
    await second.close();
  });

  it('stores epoch ms as bigint and JSON as jsonb (declarations as json, in their key order)', async () => {
    const db = await freshDb();
    await (await PostgresStore.open(db.url)).close();
    const rows = await sql<{ table_name: string; column_name: string; data_type: string }>(
      db.url,
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name IN ('at', 'stored_at', 'state_since', 'last_heartbeat', 'until',
         'expires_at', 'token', 'labels', 'metrics', 'why', 'issues', 'declarations')
       ORDER BY table_name, column_name`,
    );
    const types = Object.fromEntries(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
    assert.deepEqual(types, {
      'config_snapshots.declarations': 'json',
      'config_snapshots.stored_at': 'bigint',
      'decisions.at': 'bigint',
      'decisions.why': 'jsonb',
      'leases.expires_at': 'bigint',
      'leases.token': 'bigint',
      'metrics_history.at': 'bigint',
      'node_events.at': 'bigint',
      'nodes.labels': 'jsonb',
      'nodes.last_heartbeat': 'bigint',
      'nodes.metrics': 'jsonb',
      'nodes.state_since': 'bigint',
      'override_holds.until': 'bigint',
      'sync_records.at': 'bigint',
      'sync_records.issues': 'jsonb',
    });
  });

  it('takes lease time from the server clock', async () => {
    const db = await freshDb();
    const store = await PostgresStore.open(db.url);
    const [before] = await sql<{ ms: number }>(db.url, 'SELECT floor(extract(epoch from now()) * 1000)::float8 AS ms');
    const lease = await store.acquireLease('controller', 'a', 'http://a:7070', 10_000);
    const [after] = await sql<{ ms: number }>(db.url, 'SELECT floor(extract(epoch from now()) * 1000)::float8 AS ms');
    assert.ok(lease.expiresAt >= before!.ms + 10_000 && lease.expiresAt <= after!.ms + 10_000, JSON.stringify({ before, lease, after }));
    await store.close();
  });

  it('upserts 10,000 nodes in one call', async () => {
    const store = await PostgresStore.open((await freshDb()).url);
    const nodes = Array.from({ length: 10_000 }, (_, i) => node(`n-${String(i).padStart(5, '0')}`, { lastHeartbeat: i }));
    await store.upsertNodes(nodes);
    await store.upsertNodes(nodes.map((n) => ({ ...n, lastHeartbeat: n.lastHeartbeat! + 1 })));
    const listed = await store.listNodes({ service: 'svc-plus', region: 'jp', state: 'active' });
    assert.equal(listed.length, 10_000);
    assert.equal(listed[9_999]?.lastHeartbeat, 10_000);
    await store.close();
  });

  it('rolls back the whole batch when the database refuses a row midway', async () => {
    const store = await PostgresStore.open((await freshDb()).url);
    await store.upsertNodes([node('jp-1')]);
    // Postgres text cannot hold a NUL character: the record checks pass it, the server refuses it.
    const bad = node('jp-3', { address: 'a\u0000b' });
    await assert.rejects(store.upsertNodes([node('jp-1', { state: 'drain' }), node('jp-2'), bad]));
    assert.deepEqual(await store.listNodes(), [node('jp-1')]);
    await store.close();
  });

  it('rounds a fractional time to whole milliseconds', async () => {
    const store = await PostgresStore.open((await freshDb()).url);
    await store.upsertNodes([node('jp-1', { lastHeartbeat: 1_700_000_000_000.6 })]);
    assert.equal((await store.getNode('jp-1'))?.lastHeartbeat, 1_700_000_000_001);
    await store.close();
  });
});

describe('PostgresStore refusals', { skip }, () => {
  it('names host, port and database when nothing listens there, without the password', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const url = 'postgres://xplane:s3cret-pw@127.0.0.1:1/xplane';
    await assert.rejects(
      PostgresStore.open(url, { connectTimeoutMs: 2_000 }),
      (err: unknown) =>
        withCode('XP_ERR_STORE_OPEN', 'postgres://xplane:***@127.0.0.1:1/xplane', 'at 127.0.0.1:1', 'is Postgres running')(err) &&
        !(err as Error).message.includes('s3cret-pw'),
    );
  });

  it('says so when the password is wrong, without printing it', async () => {
    const url = new URL(admin!);
    url.password = 'wrong-password-xyz';
    await assert.rejects(
      openStore(url.href),
      (err: unknown) =>
        withCode('XP_ERR_STORE_OPEN', 'password authentication failed', `${url.hostname}:${url.port}`)(err) &&
        !(err as Error).message.includes('wrong-password-xyz'),
    );
  });

  it('says so when the database does not exist, naming it', async () => {
    const url = new URL(admin!);
    url.pathname = '/xplane_test_no_such_db';
    await assert.rejects(openStore(url.href), withCode('XP_ERR_STORE_OPEN', 'xplane_test_no_such_db', 'does not exist'));
  });
});

// A TCP relay to the test server that can be cut, as a network failure or a server restart would.
async function relay(to: URL, port = 0): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(to.port || 5432), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('PostgresStore when the server goes away', { skip }, () => {
  it('fails calls with XP_ERR_STORE_UNAVAILABLE, naming the server, and works again once it is back', async () => {
    const db = await freshDb();
    const target = new URL(db.url);
    const first = await relay(target);
    const via = new URL(db.url);
    via.hostname = '127.0.0.1';
    via.port = String(first.port);
    const store = await PostgresStore.open(via.href, { connectTimeoutMs: 2_000 });
    await store.upsertNodes([node('jp-1')]);
    await first.cut();
    await assert.rejects(store.listNodes(), withCode('XP_ERR_STORE_UNAVAILABLE', `127.0.0.1:${first.port}`));
    const again = await relay(target, first.port);
    try {
      assert.deepEqual(await store.listNodes(), [node('jp-1')]);
    } finally {
      await store.close();
      await again.cut();
    }
  });
});

describe('isUnreachable', () => {
  it('counts refused, dropped and timed-out connections, not refused queries', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '08006', '08001', '57P01']) {
      assert.equal(isUnreachable(coded(code)), true, code);
    }
    assert.equal(isUnreachable(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isUnreachable(new Error('timeout exceeded when trying to connect')), true);
    for (const code of ['23505', '42P01', '22P02', '28P01']) assert.equal(isUnreachable(coded(code)), false, code);
  });
});
