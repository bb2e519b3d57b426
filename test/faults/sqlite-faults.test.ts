// Faults in the embedded SQLite store: another process holds the write lock
// longer than the busy timeout, and the database file is damaged (garbage
// bytes, truncated, garbage pages behind a good header). Opening fails with
// an error that names the file and says why, a damaged file is left exactly as
// it was, and the registry loses nothing: what it could not write while the
// lock was held arrives once the lock is gone.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Declarations } from '../../src/config/index.js';
import { NodeRegistry } from '../../src/nodes/index.js';
import { BUSY_TIMEOUT_MS, SqliteStore, StoreError, openStore, type NodeRecord } from '../../src/store/index.js';
import { seedDeclarations, REPO_ROOT, tempDir } from '../../src/testing/index.js';

const NODE = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

/** Another process that takes the database's write lock and keeps it for `holdMs`. */
async function holdWriteLock(path: string, holdMs: number): Promise<ChildProcess> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, Number(process.argv[2]));`;
  // Node 22 would print its "SQLite is an experimental feature" warning into the test output.
  const args = ['--disable-warning=ExperimentalWarning', '-e', script, path, String(holdMs)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code} before locking`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function nodeRecord(i: number): NodeRecord {
  return {
    name: `jp-svc-plus-${i}`,
    service: 'svc-plus',
    region: 'jp',
    address: `10.0.${i >> 8}.${i & 255}:8080`,
    labels: { tier: 'general', note: 'x'.repeat(200) },
    state: 'active',
    stateSince: 1_700_000_000_000,
    tokenHash: createHash('sha256').update(String(i)).digest('hex'),
    registeredAt: 1_700_000_000_000,
    lastHeartbeat: 1_700_000_000_000 + i,
    metrics: { cpu: 0.5, mem: null, qps: 3, errorRate: 0, rttMs: 10 },
  };
}

async function expectOpenRefused(path: string, why: RegExp): Promise<void> {
  await assert.rejects(openStore(path), (err: unknown) => {
    assert.ok(err instanceof StoreError, String(err));
    assert.equal(err.code, 'XP_ERR_STORE_OPEN');
    assert.ok(err.message.includes(path), `names the file: ${err.message}`);
    assert.match(err.message, why);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return true;
  });
}

describe('SQLite faults', () => {
  let dir: string;
  let seed: Declarations;
  before(async () => {
    dir = tempDir('xplane-sqlite-faults-');
    seed = await seedDeclarations();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to open a database another process keeps locked past the busy timeout, naming the file, and opens it intact afterwards', async () => {
    const path = join(dir, 'locked-open.db');
    const store = SqliteStore.open(path);
    await store.putSnapshot({ commit: 'a'.repeat(40), declarations: seed, storedAt: 1 });
    await store.close();
    const holder = await holdWriteLock(path, BUSY_TIMEOUT_MS + 1_500);
    const started = performance.now();
    await expectOpenRefused(path, /locked by another process for more than \d+ ms/);
    assert.ok(performance.now() - started >= BUSY_TIMEOUT_MS - 100, 'waited the busy timeout first');
    await exited(holder);
    const again = await openStore(path);
    try {
      assert.equal((await again.latestSnapshot())?.commit, 'a'.repeat(40));
    } finally {
      await again.close();
    }
  });

  it('keeps what the registry could not write while the lock was held, and writes it once the lock is gone', async () => {
    const path = join(dir, 'locked-flush.db');
    const store = SqliteStore.open(path);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const config: Declarations = { ...seed, gtm: {} }; // heartbeat-only: heartbeats count as passes
    const registry = new NodeRegistry({ store, log, config: () => config });
    try {
      const nodes = [registry.register(NODE), registry.register(NODE), registry.register(NODE)];
      for (const n of nodes) registry.heartbeat(n.token, { name: n.name, cpu: 0.3 });
      const holder = await holdWriteLock(path, BUSY_TIMEOUT_MS + 1_000);
      await registry.flush('all');
      const failed = lines.map((l) => JSON.parse(l) as { msg: string; err?: string }).filter((l) => /persisting nodes failed/.test(l.msg));
      assert.equal(failed.length, 1, lines.join(''));
      assert.match(failed[0]?.err ?? '', /locked/, 'the log says the database was locked');
      assert.ok(failed[0]?.err?.includes(path), `the log names the file: ${failed[0]?.err}`);
      assert.deepEqual(await store.listNodes(), [], 'nothing was half-written');

      // Life goes on while the lock is still held: more heartbeats, a state change, a drain.
      for (const n of nodes) registry.heartbeat(n.token, { name: n.name, cpu: 0.6 });
      const drained = nodes[2];
      assert.ok(drained);
      registry.drain(drained.name);
      await exited(holder);
      await registry.flush('all');

      const stored = await store.listNodes();
      assert.deepEqual(
        stored.map((r) => [r.name, r.state, r.lastHeartbeat, r.metrics?.cpu]),
        registry.records({}).map((r) => [r.name, r.state, r.lastHeartbeat, r.metrics?.cpu]),
        'every node arrived with its latest state',
      );
      assert.deepEqual(
        stored.map((r) => r.state),
        ['active', 'active', 'drain'],
      );
      const events = await store.listNodeEvents({});
      // Per node: registered (∅→warm) and warm→active; plus the drain.
      assert.equal(events.length, 3 * 2 + 1, JSON.stringify(events));
    } finally {
      await registry.stop();
      await store.close();
    }
  });

  describe('a damaged database file', () => {
    let good: string;
    let goodSum: string;
    before(async () => {
      good = join(dir, 'good.db');
      const store = SqliteStore.open(good);
      await store.putSnapshot({ commit: 'b'.repeat(40), declarations: seed, storedAt: 1 });
      for (let i = 1; i <= 2_000; i += 250) await store.upsertNodes(Array.from({ length: 250 }, (_, k) => nodeRecord(i + k)));
      await store.close();
      goodSum = sha256(good);
    });

    const page = 4096;
    const damages: { name: string; make: (path: string) => void; why: RegExp }[] = [
      { name: 'random bytes', make: (p) => writeFileSync(p, randomBytes(64 * 1024)), why: /not a valid SQLite database/ },
      { name: 'plain text', make: (p) => writeFileSync(p, 'this is not a database\n'.repeat(1_000)), why: /not a valid SQLite database/ },
      {
        name: 'a garbled header',
        make: (p) => {
          const bytes = readFileSync(p);
          bytes.fill(0x41, 0, 100);
          writeFileSync(p, bytes);
        },
        why: /not a valid SQLite database/,
      },
      { name: 'half its pages cut off', make: (p) => truncateSync(p, Math.floor(statSync(p).size / 2 / page) * page), why: /not a valid SQLite database/ },
      { name: 'its last page cut off', make: (p) => truncateSync(p, statSync(p).size - page), why: /not a valid SQLite database/ },
      { name: 'a cut in the middle of its last page', make: (p) => truncateSync(p, statSync(p).size - 1_000), why: /not a valid SQLite database/ },
      {
        name: 'garbage pages behind a good header and schema',
        make: (p) => {
          const bytes = readFileSync(p);
          for (let i = Math.floor(bytes.length * 0.6); i < bytes.length; i += 1) bytes[i] = (i * 131) & 255;
          writeFileSync(p, bytes);
        },
        why: /not a valid SQLite database \(quick_check: /,
      },
    ];
    for (const damage of damages) {
      it(`refuses a file with ${damage.name}, naming it, and leaves it byte for byte as it was`, async () => {
        const path = join(dir, `damaged-${damage.name.replaceAll(' ', '-')}.db`);
        copyFileSync(good, path);
        damage.make(path);
        const before = sha256(path);
        await expectOpenRefused(path, damage.why);
        assert.equal(sha256(path), before, 'the damaged file was not written to');
      });
    }

    it('still opens the undamaged original with all its data', async () => {
      assert.equal(sha256(good), goodSum);
      const store = await openStore(good);
      try {
        assert.equal((await store.listNodes()).length, 2_000);
        assert.equal((await store.latestSnapshot())?.commit, 'b'.repeat(40));
      } finally {
        await store.close();
      }
    });
  });
});
