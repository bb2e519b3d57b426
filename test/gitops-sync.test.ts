// gitops-sync against real git: a bare remote in a temp dir, pushes to it,
// and a real SQLite store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitMirror, GitopsSync, type ConfigEvent } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { gitSync, makeGitFixture, type GitFixture } from '../src/testing/index.js';

const AUTOSCALE = 'platform-config/autoscale/svc-plus.yaml';

interface Rig {
  fixture: GitFixture;
  store: Store;
  sync: GitopsSync;
  events: ConfigEvent[];
}

async function rig(fixture = makeGitFixture()): Promise<Rig> {
  const store = await openStore(join(fixture.root, 'state', 'xplane.db'));
  const sync = new GitopsSync({ mirror: new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror')), store, log: silentLogger() });
  const events: ConfigEvent[] = [];
  sync.subscribe((e) => events.push(e));
  return { fixture, store, sync, events };
}

async function teardown(r: Rig): Promise<void> {
  await r.sync.stop();
  await r.store.close();
  r.fixture.cleanup();
}

describe('gitops sync', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => teardown(r));

  it('stores the first valid commit and announces every declaration', async () => {
    const outcome = await r.sync.syncOnce();
    const head = gitSync(r.fixture.work, 'rev-parse', 'HEAD');
    assert.equal(outcome.status, 'changed');
    assert.equal(outcome.commit, head);
    assert.equal((await r.store.latestSnapshot())?.commit, head);
    assert.deepEqual(
      r.events.map((e) => e.type),
      ['gtm', 'autoscale', 'region', 'stack'],
    );
    assert.deepEqual(
      r.events.find((e) => e.type === 'region'),
      { type: 'region', commit: head, regions: ['jp', 'sg'] },
    );
  });

  it('reports nothing when the remote has not moved', async () => {
    r.events.length = 0;
    const outcome = await r.sync.syncOnce();
    assert.equal(outcome.status, 'unchanged');
    assert.equal(r.events.length, 0);
  });

  it('publishes only what a new commit changed', async () => {
    r.events.length = 0;
    const text = r.fixture.read(AUTOSCALE).replace('cooldown: 120s', 'cooldown: 90s');
    const sha = r.fixture.commit({ [AUTOSCALE]: text }, 'autoscale: shorter cooldown');
    const outcome = await r.sync.syncOnce();
    assert.equal(outcome.status, 'changed');
    assert.deepEqual(outcome.changes, [{ kind: 'autoscale', name: 'svc-plus', change: 'modified' }]);
    assert.deepEqual(r.events, [{ type: 'autoscale', commit: sha, services: ['svc-plus'] }]);
    assert.equal((await r.store.latestSnapshot())?.declarations.autoscale['svc-plus']?.global.cooldown, 90_000);
  });

  it('keeps the last good config in force when a commit is invalid, and records why', async () => {
    const good = (await r.store.latestSnapshot())?.commit;
    r.events.length = 0;
    const text = r.fixture.read(AUTOSCALE).replace('scale_up_cpu: 0.7', 'scale_up_cpu: high');
    const bad = r.fixture.commit({ [AUTOSCALE]: text }, 'typo');
    const outcome = await r.sync.syncOnce();
    assert.equal(outcome.status, 'invalid');
    assert.equal(outcome.commit, bad);
    assert.equal(outcome.inForce, good);
    assert.equal(outcome.issues[0]?.file, AUTOSCALE);
    assert.equal(outcome.issues[0].path, 'regions.jp.scale_up_cpu');
    assert.equal((await r.store.latestSnapshot())?.commit, good);
    assert.equal(r.events.length, 0);
    const [record] = await r.store.recentSyncs(1);
    assert.equal(record?.status, 'invalid');
    assert.equal(record.commit, bad);
    assert.equal(record.issues[0]?.path, 'regions.jp.scale_up_cpu');
  });

  it('records a repeated poll of the same invalid commit once', async () => {
    const before = (await r.store.recentSyncs(50)).length;
    await r.sync.syncOnce();
    await r.sync.syncOnce();
    assert.equal((await r.store.recentSyncs(50)).length, before);
  });

  it('takes the fix once it is pushed', async () => {
    const text = r.fixture.read(AUTOSCALE).replace('scale_up_cpu: high', 'scale_up_cpu: 0.75');
    const fixed = r.fixture.commit({ [AUTOSCALE]: text }, 'fix typo');
    const outcome = await r.sync.syncOnce();
    assert.equal(outcome.status, 'changed');
    assert.equal((await r.store.latestSnapshot())?.commit, fixed);
    assert.equal((await r.store.recentSyncs(1))[0]?.status, 'ok');
  });

  it('follows a force-push and says the history was rewritten', async () => {
    const old = gitSync(r.fixture.work, 'rev-parse', 'HEAD');
    gitSync(r.fixture.work, 'reset', '--quiet', '--hard', 'HEAD~3');
    const text = r.fixture.read('platform-config/regions/sg.yaml').replace('t3.small', 't3.medium');
    const head = r.fixture.commit({ 'platform-config/regions/sg.yaml': text }, 'rewrite', { force: true });
    const outcome = await r.sync.syncOnce();
    assert.ok(outcome.status === 'changed');
    assert.equal(outcome.commit, head);
    assert.equal(outcome.previous, old);
    assert.equal(outcome.rewritten, true);
    assert.ok(outcome.changes.some((c) => c.kind === 'region' && c.name === 'sg'));
  });

  it('puts an older commit back in force when the branch is rolled back to it', async () => {
    const current = gitSync(r.fixture.work, 'rev-parse', 'HEAD');
    const older = gitSync(r.fixture.work, 'rev-parse', 'HEAD~1');
    gitSync(r.fixture.work, 'push', '--quiet', '--force', 'origin', `${older}:refs/heads/main`);
    const outcome = await r.sync.syncOnce();
    assert.ok(outcome.status === 'changed');
    assert.equal(outcome.commit, older);
    assert.equal(outcome.previous, current);
    assert.equal((await r.store.latestSnapshot())?.commit, older);
    assert.equal((await r.sync.syncOnce()).status, 'unchanged', 'the next poll sees nothing new');
  });
});

describe('gitops sync against a failing remote', () => {
  it('reports an unreachable remote clearly, keeps the config in force and does not throw', async () => {
    const r = await rig();
    try {
      await r.sync.syncOnce();
      const good = (await r.store.latestSnapshot())?.commit;
      const broken = new GitopsSync({
        mirror: new GitMirror(join(r.fixture.root, 'gone.git'), 'main', join(r.fixture.root, 'mirror')),
        store: r.store,
        log: silentLogger(),
      });
      const outcome = await broken.syncOnce();
      assert.equal(outcome.status, 'error');
      assert.match(outcome.message, /cannot fetch .*gone\.git/);
      assert.equal(outcome.inForce, good);
      assert.equal((await r.store.latestSnapshot())?.commit, good);
      assert.equal((await r.store.recentSyncs(1))[0]?.status, 'error');
    } finally {
      await teardown(r);
    }
  });

  it('says so when the remote is empty', async () => {
    const r = await rig(makeGitFixture({ empty: true }));
    try {
      const outcome = await r.sync.syncOnce();
      assert.ok(outcome.status === 'error');
      assert.match(outcome.message, /is empty: push a GitOps repo to branch main first/);
      assert.equal(await r.store.latestSnapshot(), undefined);
    } finally {
      await teardown(r);
    }
  });

  it('names the branches that exist when the configured one does not', async () => {
    const fixture = makeGitFixture();
    const store = await openStore(join(fixture.root, 'x.db'));
    try {
      const sync = new GitopsSync({ mirror: new GitMirror(fixture.bare, 'prod', join(fixture.root, 'm')), store, log: silentLogger() });
      const outcome = await sync.syncOnce();
      assert.ok(outcome.status === 'error');
      assert.match(outcome.message, /has no branch prod \(it has: main\)/);
    } finally {
      await store.close();
      fixture.cleanup();
    }
  });
});

describe('gitops sync loop', () => {
  it('picks up a pushed commit on its own', async () => {
    const r = await rig();
    try {
      const seen = new Promise<ConfigEvent>((resolve) => {
        r.sync.subscribe((e) => {
          if (e.type === 'gtm' && r.events.length > 4) resolve(e);
        });
      });
      r.sync.start(100);
      await waitFor(async () => (await r.store.latestSnapshot()) !== undefined);
      const gtm = 'platform-config/gtm/svc-plus.yaml';
      const sha = r.fixture.commit({ [gtm]: r.fixture.read(gtm).replace('ttl: 30', 'ttl: 60') }, 'longer ttl');
      const event = await seen;
      assert.equal(event.commit, sha);
    } finally {
      await teardown(r);
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
