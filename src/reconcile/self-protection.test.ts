// Self-protection on the real parts: a bare git remote, the node registry with a
// test clock, the reconciler, its metrics and the status API's view.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigInForce, GitMirror, GitopsSync, GitWriter } from '../gitops/index.js';
import { silentLogger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry } from '../nodes/index.js';
import { MemoryStore, type Store } from '../store/index.js';
import { gitSync, makeGitFixture, type GitFixture } from '../testing/index.js';
import { Reconciler, type ReconcilerDeps } from './reconciler.js';
import { ServiceStatus } from './status.js';

const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };
const JP = ['jp-svc-plus-1', 'jp-svc-plus-2'];
const SG = ['sg-svc-plus-1', 'sg-svc-plus-2'];

/** The seed repo's stack file of a region, with two nodes in its pool. */
function stack(region: 'jp' | 'sg', weight: number, nodes: string[]): string {
  return `config:\n  xplane:region: ${region}\n  xplane:pools:\n    svc-plus:\n      weight: ${weight}\n      nodes: [${nodes.join(', ')}]\n      excluded: []\n`;
}

interface Rig {
  fixture: GitFixture;
  store: Store;
  registry: NodeRegistry;
  reconciler: Reconciler;
  metrics: Metrics;
  status: ServiceStatus;
  clock: { t: number };
  tokens: Map<string, string>;
}

async function rig(store: Store = new MemoryStore(), extra: Partial<ReconcilerDeps> = {}): Promise<Rig> {
  const fixture = makeGitFixture();
  fixture.commit({ 'stacks/Pulumi.jp.yaml': stack('jp', 100, JP), 'stacks/Pulumi.sg.yaml': stack('sg', 10, SG) }, 'two nodes per region');
  const log = silentLogger();
  const mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
  await new GitopsSync({ mirror, store, log }).syncOnce();
  const inForce = new ConfigInForce(store);
  await inForce.refresh();
  const clock = { t: Date.now() };
  const registry = new NodeRegistry({ store, log, config: () => inForce.declarations, now: () => clock.t });
  const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  const writer = new GitWriter({ mirror, author: BOT, push: true, log, backoffMs: 1 });
  const reconciler = new Reconciler({ store, registry, inForce, mirror, writer, metrics, log, botEmail: BOT.email, dryRun: false, now: () => clock.t, ...extra });
  const status = new ServiceStatus({ store, inForce, registry, reconciler, now: () => clock.t });
  const tokens = new Map<string, string>();
  for (const [region, names] of [['jp', JP], ['sg', SG]] as const) {
    for (const [i, name] of names.entries()) {
      tokens.set(name, registry.register({ service: 'svc-plus', region, address: `127.0.${region === 'jp' ? 2 : 3}.${i + 1}:8080`, name }).token);
      registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
      registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    }
  }
  return { fixture, store, registry, reconciler, metrics, status, clock, tokens };
}

const head = (r: Rig): string => gitSync(r.fixture.bare, 'rev-parse', 'main');
const fail = (r: Rig, ...names: string[]): void => {
  for (const name of names) r.registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
};
/** Brings a node back: its agent heartbeats again and two probes pass. */
const recover = (r: Rig, ...names: string[]): void => {
  for (const name of names) {
    r.registry.heartbeat(r.tokens.get(name) ?? '', { name, cpu: 0.5 });
    r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
  }
};
async function gauge(r: Rig, reason: string): Promise<number | undefined> {
  const line = (await r.metrics.text()).split('\n').find((l) => l.startsWith(`xplane_self_protection{service="svc-plus",reason="${reason}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
const lastSubject = (r: Rig): string => gitSync(r.fixture.bare, 'log', '-1', '--format=%B', 'main').trim();

describe('self-protection', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.registry.stop();
    await r.store.close();
    r.fixture.cleanup();
  });

  it('freezes when 3 of 4 nodes go down at once, holds while they stay down, and resumes when they return', async () => {
    assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
    const before = head(r);
    assert.equal(await gauge(r, 'panic'), undefined, 'never frozen yet');

    fail(r, 'jp-svc-plus-1', 'jp-svc-plus-2', 'sg-svc-plus-1');
    assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
    assert.equal(head(r), before, 'no exclusion, no weight cut: nothing committed');
    assert.equal(await gauge(r, 'panic'), 1);
    const frozen = await r.status.get('svc-plus');
    assert.equal(frozen?.frozen?.reason, 'panic');
    assert.equal(frozen?.frozen?.detail, '3 of 4 nodes went down at once (more than panic_threshold 0.5)');
    assert.match(frozen?.regions.jp?.gtmReason ?? '', /frozen \(panic\): keeps 100, wants 0/);

    // Past replace_after, a free loop would replace all three.
    r.clock.t += 6 * 60_000;
    await r.reconciler.pass();
    assert.equal(head(r), before, 'no replacement while frozen');
    assert.match((await r.status.get('svc-plus'))?.regions.jp?.autoscale?.reason ?? '', /not replacing jp-svc-plus-1 \(down 6m\), not replacing jp-svc-plus-2 \(down 6m\)/);

    recover(r, 'jp-svc-plus-1', 'jp-svc-plus-2', 'sg-svc-plus-1');
    await r.reconciler.pass();
    assert.equal(await gauge(r, 'panic'), 0, 'resumed');
    assert.equal((await r.status.get('svc-plus'))?.frozen, null);
    assert.equal(head(r), before, 'the fleet is whole again: nothing to do');

    fail(r, 'sg-svc-plus-2');
    await r.reconciler.pass();
    assert.equal(lastSubject(r), ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus sg weight 10→5 (ready 1/2)', 'gtm: svc-plus sg exclude sg-svc-plus-2 (down)'].join('\n'), 'acting again');
  });

  it('excludes as usual when only 1 of 4 goes down', async () => {
    await r.reconciler.pass();
    fail(r, 'jp-svc-plus-2');
    await r.reconciler.pass();
    assert.equal(lastSubject(r), ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus jp weight 100→50 (ready 1/2)', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)'].join('\n'));
    assert.equal(await gauge(r, 'panic'), undefined);
    assert.equal((await r.status.get('svc-plus'))?.frozen, null);
  });

  it('does not evict a healthy fleet when the control plane stops hearing from all of it (partition)', async () => {
    await r.reconciler.pass();
    const before = head(r);
    // No heartbeat reaches the control plane for longer than fall × interval: the sweep marks all four down at once.
    r.clock.t += 20_000;
    r.registry.sweep();
    assert.deepEqual(r.registry.records({ service: 'svc-plus' }).map((n) => n.state), ['down', 'down', 'down', 'down']);
    await r.reconciler.pass();
    r.clock.t += 6 * 60_000;
    await r.reconciler.pass();
    assert.equal(head(r), before, 'not one node replaced or excluded');
    assert.equal(await gauge(r, 'panic'), 1);
  });
});

describe('self-protection: store and git', () => {
  it('freezes every service while the health probe says the store is lost', async () => {
    const health = { store: false, git: true, reason: 'database unreachable' };
    const r = await rig(new MemoryStore(), { health: () => health });
    try {
      await r.reconciler.pass();
      fail(r, 'jp-svc-plus-2');
      const before = head(r);
      await r.reconciler.pass();
      assert.equal(head(r), before, 'the down node is not excluded while the store is lost');
      assert.equal(await gauge(r, 'store'), 1);
      assert.deepEqual((await r.status.get('svc-plus'))?.frozen?.detail, 'the store is lost (database unreachable)');
      health.store = true;
      await r.reconciler.pass();
      assert.equal(await gauge(r, 'store'), 0);
      assert.match(lastSubject(r), /gtm: svc-plus jp exclude jp-svc-plus-2 \(down\)/);
    } finally {
      await r.registry.stop();
      r.fixture.cleanup();
    }
  });

  it('counts the store as lost after 3 passes in a row failed reading it, and plans the first pass after it frozen', async () => {
    const store = new MemoryStore();
    let broken = false;
    const listHolds = store.listHolds.bind(store);
    store.listHolds = async (now) => {
      if (broken) throw new Error('connection reset');
      return listHolds(now);
    };
    const r = await rig(store);
    try {
      await r.reconciler.pass();
      broken = true;
      for (let i = 0; i < 3; i += 1) assert.equal((await r.reconciler.pass()).kind, 'error');
      assert.equal(await gauge(r, 'store'), 1);
      assert.match(r.reconciler.freezeOf('svc-plus')?.detail ?? '', /3 passes in a row failed on the store/);

      broken = false;
      fail(r, 'jp-svc-plus-2');
      const before = head(r);
      assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
      assert.equal(head(r), before, 'the first pass after the outage takes nothing away');
      assert.equal(await gauge(r, 'store'), 1);
      await r.reconciler.pass();
      assert.equal(await gauge(r, 'store'), 0);
      assert.match(lastSubject(r), /gtm: svc-plus jp exclude jp-svc-plus-2 \(down\)/);
    } finally {
      await r.registry.stop();
      r.fixture.cleanup();
    }
  });

  it('counts the Git remote as lost after 3 passes could not fetch, but not when it only refuses pushes', async () => {
    const r = await rig();
    const away = `${r.fixture.bare}.away`;
    try {
      await r.reconciler.pass();
      renameSync(r.fixture.bare, away);
      for (let i = 0; i < 3; i += 1) assert.equal((await r.reconciler.pass()).kind, 'error');
      assert.equal(await gauge(r, 'git'), 1);
      assert.match(r.reconciler.freezeOf('svc-plus')?.detail ?? '', /3 passes in a row failed on git/);
      renameSync(away, r.fixture.bare);
      assert.deepEqual(await r.reconciler.pass(), { kind: 'done' }, 'the first pass after the outage plans frozen and finds nothing to write');

      // A remote that answers but refuses every push (a hook): reachable, so never "lost".
      writeFileSync(join(r.fixture.bare, 'hooks', 'pre-receive'), '#!/bin/sh\necho "pushes are closed" >&2\nexit 1\n', { mode: 0o755 });
      fail(r, 'jp-svc-plus-2');
      for (let i = 0; i < 5; i += 1) {
        assert.equal((await r.reconciler.pass()).kind, 'error');
        assert.notEqual(r.reconciler.freezeOf('svc-plus')?.reason, 'git', `pass ${i + 1} is not frozen for git`);
      }
      assert.equal(await gauge(r, 'git'), 0);
    } finally {
      await r.registry.stop();
      r.fixture.cleanup();
    }
  });

  it('refuses a panic threshold outside 0..1', async () => {
    await assert.rejects(rig(new MemoryStore(), { panicThreshold: 2 }), /panic_threshold must be a number between 0 and 1, got 2/);
  });
});
