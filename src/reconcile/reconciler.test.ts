// The reconciler's own logic on the in-memory Git remote: a rejected push
// re-plans from the memory the pass began with, what a pass saw is kept when
// its push fails, `xplane plan` changes nothing, and Git failures are told
// apart by their class. test/reconciler.test.ts and test/reconcile-git.test.ts
// run the reconciler on real git.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Metrics } from '../metrics/index.js';
import type { SeenPass } from './facts.js';
import type { Reconciler } from './reconciler.js';
import { activate, beat, fail, lastMessage, rig as baseRig, stack, type Rig as BaseRig } from './test-fixtures.js';

const JP = ['jp-svc-plus-1', 'jp-svc-plus-2'];
const SG = ['sg-svc-plus-1', 'sg-svc-plus-2'];
const WENT_DOWN = '3 of 4 nodes went down at once (more than panic_threshold 0.5)';

interface Rig extends BaseRig {
  loop: Reconciler;
  metrics: Metrics;
}

async function rig(): Promise<Rig> {
  const base = await baseRig({ 'stacks/Pulumi.jp.yaml': stack('jp', 100, JP), 'stacks/Pulumi.sg.yaml': stack('sg', 10, SG) });
  const { reconciler, metrics } = base.reconciler();
  for (const name of [...JP, ...SG]) activate(base, name);
  return { ...base, loop: reconciler, metrics };
}

async function metric(r: Rig, name: string): Promise<number | undefined> {
  const line = (await r.metrics.text()).split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * After a calm first pass, 3 of 4 nodes go down at once while jp's last node runs hot: the pass
 * freezes svc-plus (panic) and still scales jp up, which needs a commit.
 */
async function outageWithScaleUp(r: Rig): Promise<void> {
  assert.deepEqual(await r.loop.pass(), { kind: 'done' });
  fail(r, 'jp-svc-plus-1', 'sg-svc-plus-1', 'sg-svc-plus-2');
  beat(r, 0.9, 'jp-svc-plus-2');
}

describe('Reconciler on the in-memory remote', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.registry.stop();
  });

  it('re-plans from the memory the pass began with when its push is rejected because the remote moved', async () => {
    await outageWithScaleUp(r);
    r.remote.raceNextPush({ 'platform-config/NOTES.md': 'hand edit\n' }, 'human: notes');
    const human = (): string => r.remote.commitOf(r.remote.head)?.parent ?? '';
    assert.deepEqual(await r.loop.pass(), { kind: 'done' });
    assert.equal(r.remote.calls.filter((c) => c.method === 'push').length, 2, 'rejected once, then landed');
    assert.equal(r.remote.commitOf(human())?.message, 'human: notes', 'the commit landed on top of the human one');
    assert.equal(lastMessage(r), 'autoscale: svc-plus jp 2→3 (cpu=0.90)');
    // Planned again from the memory the first try also began with, the panic rule sees the same
    // nodes go down at once (not a freeze that the first try left behind).
    const plan = r.loop.lastReport?.plan;
    assert.deepEqual(plan?.services['svc-plus']?.frozen?.detail, WENT_DOWN);
    assert.equal(r.loop.lastReport?.head, human());
    const records = await r.store.listDecisions({});
    assert.deepEqual(
      records.map((d) => [d.summary, d.commit]),
      [['autoscale: svc-plus jp 2→3 (cpu=0.90)', r.remote.head]],
      'one record, for the commit that landed',
    );
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 0, 'a rejection that lands on a later try is no failure');
  });

  it('keeps what a pass saw when its push is refused: the freeze is published and still held', async () => {
    await outageWithScaleUp(r);
    const before = r.remote.head;
    r.remote.refusePushes(1, 'pushes are closed');
    assert.equal((await r.loop.pass()).kind, 'error');
    assert.match(r.loop.lastReport?.error ?? '', /^git push .*pushes are closed/);
    assert.equal(r.remote.head, before);
    assert.deepEqual(r.loop.freezeOf('svc-plus')?.detail, WENT_DOWN, 'the freeze the failed pass saw is in force');
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 1);

    assert.deepEqual(await r.loop.pass(), { kind: 'done' });
    assert.equal(lastMessage(r), 'autoscale: svc-plus jp 2→3 (cpu=0.90)');
    assert.deepEqual(r.loop.freezeOf('svc-plus')?.detail, '3 of 4 nodes down (more than panic_threshold 0.5)', 'the same freeze, held');
  });

  it('previews what a pass would commit without changing the loop’s memory', async () => {
    await outageWithScaleUp(r);
    const before = r.remote.head;
    const preview = await r.loop.preview();
    assert.deepEqual(
      preview.decisions.map((d) => d.summary),
      ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
    );
    assert.match(preview.diff, /^\+.*nodes: \[jp-svc-plus-1, jp-svc-plus-2, jp-svc-plus-3\]/m);
    assert.equal(r.remote.head, before, 'nothing pushed');
    assert.equal(r.loop.freezeOf('svc-plus'), undefined, 'nothing published');
    await r.loop.pass();
    assert.deepEqual(r.loop.lastReport?.plan?.services['svc-plus']?.frozen?.detail, WENT_DOWN, 'the pass still sees the nodes go down at once');
  });

  it('tells the observer what each pass saw before it planned, and nothing of a preview', async () => {
    const seen: SeenPass[] = [];
    const { reconciler } = r.reconciler({ observe: (s) => seen.push(s) });
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2');
    await reconciler.preview();
    assert.equal(seen.length, 0);
    await reconciler.pass();
    assert.equal(seen.length, 1);
    const [pass] = seen;
    assert.ok(pass);
    assert.deepEqual(pass.pools.jp?.['svc-plus']?.nodes, JP, 'the pools at the head, before the scale-up');
    assert.deepEqual(pass.facts.metrics.get('svc-plus/jp'), { nodes: 2, cpu: 0.9, qps: 0, errorRate: null, rttMs: null });
    assert.equal(lastMessage(r), 'autoscale: svc-plus jp 2→3 (cpu=0.90)');
  });

  it('goes on with the pass when the observer throws', async () => {
    const { reconciler } = r.reconciler({
      observe: () => {
        throw new Error('observer broke');
      },
    });
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2');
    assert.deepEqual(await reconciler.pass(), { kind: 'done' });
    assert.equal(lastMessage(r), 'autoscale: svc-plus jp 2→3 (cpu=0.90)');
  });

  it('tells Git failures apart by class: a fetch failure, a refused push, a remote that kept moving', async () => {
    await r.loop.pass();
    fail(r, 'jp-svc-plus-2');

    r.remote.failFetches(1);
    const unreachable = await r.loop.pass();
    assert.equal(unreachable.kind, 'error');
    assert.match(r.loop.lastReport?.error ?? '', /^cannot fetch memory:\/\/gitops: /);
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 1);

    for (let i = 0; i < 5; i += 1) r.remote.raceNextPush({ [`notes/${i}.md`]: `${i}\n` }, `human ${i}`);
    assert.equal((await r.loop.pass()).kind, 'error');
    assert.equal(r.loop.lastReport?.error, 'the remote kept moving; gave up after 5 tries');
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 2);
    assert.deepEqual(await r.store.listDecisions({}), [], 'nothing recorded for commits that never landed');

    assert.deepEqual(await r.loop.pass(), { kind: 'done' });
    assert.match(lastMessage(r), /gtm: svc-plus jp exclude jp-svc-plus-2 \(down\)/);
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 2);
  });

  it('does not count a failure that is not Git’s as a push failure', async () => {
    await r.loop.pass();
    fail(r, 'jp-svc-plus-2');
    const appendDecisions = r.store.appendDecisions.bind(r.store);
    r.store.appendDecisions = () => Promise.reject(new Error('remote end closed the connection during push of the records'));
    assert.equal((await r.loop.pass()).kind, 'error', 'the store failed after the push landed');
    assert.equal(await metric(r, 'xplane_git_push_failures_total'), 0, 'a store error that mentions push and remote is still a store error');
    r.store.appendDecisions = appendDecisions;
  });
});
