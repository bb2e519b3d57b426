// Self-protection in the reconciler: the in-memory Git remote, the node
// registry with a test clock, the reconciler, its metrics and the status API's
// view. test/reconcile-git.test.ts runs the Git-lost case on real git.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Metrics } from '../metrics/index.js';
import { MemoryStore, type Store } from '../store/index.js';
import type { ReconcilerDeps, Reconciler } from './reconciler.js';
import { ServiceStatus } from './status.js';
import { activate, fail, lastMessage, rig as baseRig, stack, type Rig as BaseRig } from './test-fixtures.js';

const JP = ['jp-svc-plus-1', 'jp-svc-plus-2'];
const SG = ['sg-svc-plus-1', 'sg-svc-plus-2'];

interface Rig extends BaseRig {
  reconcilerOf: Reconciler;
  metrics: Metrics;
  status: ServiceStatus;
}

/** Two nodes per region, all four active, and one reconciler with its status view. */
async function rig(store: Store = new MemoryStore(), extra: Partial<ReconcilerDeps> = {}): Promise<Rig> {
  const base = await baseRig({ 'stacks/Pulumi.jp.yaml': stack('jp', 100, JP), 'stacks/Pulumi.sg.yaml': stack('sg', 10, SG) }, store);
  const { reconciler, metrics } = base.reconciler(extra);
  const status = new ServiceStatus({ store, inForce: base.inForce, registry: base.registry, reconciler, now: () => base.clock.t });
  for (const name of [...JP, ...SG]) activate(base, name);
  return { ...base, reconcilerOf: reconciler, metrics, status };
}

const head = (r: Rig): string => r.remote.head;
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

describe('self-protection', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.registry.stop();
    await r.store.close();
  });

  it('freezes when 3 of 4 nodes go down at once, holds while they stay down, and resumes when they return', async () => {
    assert.deepEqual(await r.reconcilerOf.pass(), { kind: 'done' });
    const before = head(r);
    assert.equal(await gauge(r, 'panic'), undefined, 'never frozen yet');

    fail(r, 'jp-svc-plus-1', 'jp-svc-plus-2', 'sg-svc-plus-1');
    assert.deepEqual(await r.reconcilerOf.pass(), { kind: 'done' });
    assert.equal(head(r), before, 'no exclusion, no weight cut: nothing committed');
    assert.equal(await gauge(r, 'panic'), 1);
    const frozen = await r.status.get('svc-plus');
    assert.equal(frozen?.frozen?.reason, 'panic');
    assert.equal(frozen.frozen.detail, '3 of 4 nodes went down at once (more than panic_threshold 0.5)');
    assert.match(frozen.regions.jp?.gtmReason ?? '', /frozen \(panic\): keeps 100, wants 0/);

    // Past replace_after, a free loop would replace all three.
    r.clock.t += 6 * 60_000;
    await r.reconcilerOf.pass();
    assert.equal(head(r), before, 'no replacement while frozen');
    assert.match(
      (await r.status.get('svc-plus'))?.regions.jp?.autoscale?.reason ?? '',
      /not replacing jp-svc-plus-1 \(down 6m\), not replacing jp-svc-plus-2 \(down 6m\)/,
    );

    recover(r, 'jp-svc-plus-1', 'jp-svc-plus-2', 'sg-svc-plus-1');
    await r.reconcilerOf.pass();
    assert.equal(await gauge(r, 'panic'), 0, 'resumed');
    assert.equal((await r.status.get('svc-plus'))?.frozen, null);
    assert.equal(head(r), before, 'the fleet is whole again: nothing to do');

    fail(r, 'sg-svc-plus-2');
    await r.reconcilerOf.pass();
    assert.equal(
      lastMessage(r),
      ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus sg weight 10→5 (ready 1/2)', 'gtm: svc-plus sg exclude sg-svc-plus-2 (down)'].join('\n'),
      'acting again',
    );
  });

  it('excludes as usual when only 1 of 4 goes down', async () => {
    await r.reconcilerOf.pass();
    fail(r, 'jp-svc-plus-2');
    await r.reconcilerOf.pass();
    assert.equal(
      lastMessage(r),
      ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus jp weight 100→50 (ready 1/2)', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)'].join('\n'),
    );
    assert.equal(await gauge(r, 'panic'), undefined);
    assert.equal((await r.status.get('svc-plus'))?.frozen, null);
  });

  it('does not evict a healthy fleet when the control plane stops hearing from all of it (partition)', async () => {
    await r.reconcilerOf.pass();
    const before = head(r);
    // No heartbeat reaches the control plane for longer than fall × interval: the sweep marks all four down at once.
    r.clock.t += 20_000;
    r.registry.sweep();
    assert.deepEqual(
      r.registry.records({ service: 'svc-plus' }).map((n) => n.state),
      ['down', 'down', 'down', 'down'],
    );
    await r.reconcilerOf.pass();
    r.clock.t += 6 * 60_000;
    await r.reconcilerOf.pass();
    assert.equal(head(r), before, 'not one node replaced or excluded');
    assert.equal(await gauge(r, 'panic'), 1);
  });
});

describe('self-protection: store and git', () => {
  it('freezes every service while the health probe says the store is lost', async () => {
    const health = { store: false, git: true, reason: 'database unreachable' };
    const r = await rig(new MemoryStore(), { health: () => health });
    try {
      await r.reconcilerOf.pass();
      fail(r, 'jp-svc-plus-2');
      const before = head(r);
      await r.reconcilerOf.pass();
      assert.equal(head(r), before, 'the down node is not excluded while the store is lost');
      assert.equal(await gauge(r, 'store'), 1);
      assert.deepEqual((await r.status.get('svc-plus'))?.frozen?.detail, 'the store is lost (database unreachable)');
      health.store = true;
      await r.reconcilerOf.pass();
      assert.equal(await gauge(r, 'store'), 0);
      assert.match(lastMessage(r), /gtm: svc-plus jp exclude jp-svc-plus-2 \(down\)/);
    } finally {
      await r.registry.stop();
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
      await r.reconcilerOf.pass();
      broken = true;
      for (let i = 0; i < 3; i += 1) assert.equal((await r.reconcilerOf.pass()).kind, 'error');
      assert.equal(await gauge(r, 'store'), 1);
      assert.match(r.reconcilerOf.freezeOf('svc-plus')?.detail ?? '', /3 passes in a row failed on the store/);

      broken = false;
      fail(r, 'jp-svc-plus-2');
      const before = head(r);
      assert.deepEqual(await r.reconcilerOf.pass(), { kind: 'done' });
      assert.equal(head(r), before, 'the first pass after the outage takes nothing away');
      assert.equal(await gauge(r, 'store'), 1);
      await r.reconcilerOf.pass();
      assert.equal(await gauge(r, 'store'), 0);
      assert.match(lastMessage(r), /gtm: svc-plus jp exclude jp-svc-plus-2 \(down\)/);
    } finally {
      await r.registry.stop();
    }
  });

  it('counts the Git remote as lost after 3 passes could not fetch, but not when it only refuses pushes', async () => {
    const r = await rig();
    try {
      await r.reconcilerOf.pass();
      r.remote.failFetches(3);
      for (let i = 0; i < 3; i += 1) assert.equal((await r.reconcilerOf.pass()).kind, 'error');
      assert.equal(await gauge(r, 'git'), 1);
      assert.match(r.reconcilerOf.freezeOf('svc-plus')?.detail ?? '', /3 passes in a row failed on git/);
      assert.deepEqual(await r.reconcilerOf.pass(), { kind: 'done' }, 'the first pass after the outage plans frozen and finds nothing to write');

      // A remote that answers but refuses every push (a hook): reachable, so never "lost".
      r.remote.refusePushes(5, 'pushes are closed');
      fail(r, 'jp-svc-plus-2');
      for (let i = 0; i < 5; i += 1) {
        assert.equal((await r.reconcilerOf.pass()).kind, 'error');
        assert.notEqual(r.reconcilerOf.freezeOf('svc-plus')?.reason, 'git', `pass ${i + 1} is not frozen for git`);
      }
      assert.equal(await gauge(r, 'git'), 0);
    } finally {
      await r.registry.stop();
    }
  });

  it('refuses a panic threshold outside 0..1', async () => {
    await assert.rejects(rig(new MemoryStore(), { panicThreshold: 2 }), /panic_threshold must be a number between 0 and 1, got 2/);
  });
});
