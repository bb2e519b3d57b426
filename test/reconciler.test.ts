// The reconciler in process, on the real parts: a bare git remote, SQLite,
// the node registry (with a test clock), the git writer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigInForce, GitMirror, GitopsSync, GitWriter } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { Metrics } from '../src/metrics/index.js';
import { NodeRegistry } from '../src/nodes/index.js';
import { Reconciler } from '../src/reconcile/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { runCli } from './helpers/cli.js';
import { gitSync, makeGitFixture, type GitFixture } from '../src/testing/index.js';

const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

interface Rig {
  fixture: GitFixture;
  store: Store;
  registry: NodeRegistry;
  reconciler: Reconciler;
  inForce: ConfigInForce;
  clock: { t: number };
}

async function rig(): Promise<Rig> {
  const fixture = makeGitFixture();
  const store = await openStore(join(fixture.root, 'x.db'));
  const log = silentLogger();
  const mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
  await new GitopsSync({ mirror, store, log }).syncOnce();
  const inForce = new ConfigInForce(store);
  await inForce.refresh();
  const clock = { t: Date.now() };
  const registry = new NodeRegistry({ store, log, config: () => inForce.declarations, now: () => clock.t });
  const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  const writer = new GitWriter({ mirror, author: BOT, push: true, log, backoffMs: 1 });
  const reconciler = new Reconciler({ store, registry, inForce, mirror, writer, metrics, log, botEmail: BOT.email, dryRun: false, now: () => clock.t });
  return { fixture, store, registry, reconciler, inForce, clock };
}

function activate(r: Rig, name: string, region: string): void {
  r.registry.register({ service: 'svc-plus', region, address: `127.0.0.${region === 'jp' ? 2 : 3}:8080`, name });
  r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
  r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
}

const head = (r: Rig): string => gitSync(r.fixture.bare, 'rev-parse', 'main');

describe('Reconciler', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.registry.stop();
    await r.store.close();
    r.fixture.cleanup();
  });

  it('commits nothing when the fleet matches the stacks', async () => {
    activate(r, 'jp-svc-plus-1', 'jp');
    activate(r, 'sg-svc-plus-1', 'sg');
    const before = head(r);
    assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
    assert.equal(head(r), before);
  });

  it('commits a down node’s exclusion and its region’s weight in one commit, then finds nothing left to do', async () => {
    activate(r, 'jp-svc-plus-1', 'jp');
    activate(r, 'sg-svc-plus-1', 'sg');
    r.registry.applyProbe('sg-svc-plus-1', { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    await r.reconciler.pass();
    const message = gitSync(r.fixture.bare, 'log', '-1', '--format=%B', 'main');
    assert.equal(
      message.trim(),
      ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)', 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)'].join('\n'),
    );
    const diff = gitSync(r.fixture.bare, 'diff', 'main~1', 'main', '--', 'stacks/');
    assert.equal(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l)).length, 4, 'two lines changed, nothing else');
    const decisions = await r.store.listDecisions({ service: 'svc-plus', region: 'sg' });
    assert.equal(decisions.length, 2);
    assert.equal(decisions[0]?.commit, head(r));

    const after = head(r);
    await r.reconciler.pass();
    assert.equal(head(r), after, 'apply the decision, recompute: nothing left to do');
  });

  it('lands its commit on top of a human’s unrelated push', async () => {
    activate(r, 'jp-svc-plus-1', 'jp');
    activate(r, 'sg-svc-plus-1', 'sg');
    const human = r.fixture.commit({ 'platform-config/README.md': 'notes\n' }, 'docs: notes');
    r.registry.applyProbe('sg-svc-plus-1', { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    await r.reconciler.pass();
    assert.equal(gitSync(r.fixture.bare, 'rev-parse', 'main~1'), human);
    assert.equal(gitSync(r.fixture.bare, 'log', '-1', '--format=%an', 'main'), 'xplane-bot');
  });

  it('records, drains and deletes nothing when push is off', async () => {
    const local = new Reconciler({
      store: r.store,
      registry: r.registry,
      inForce: r.inForce,
      mirror: new GitMirror(r.fixture.bare, 'main', join(r.fixture.root, 'mirror')),
      writer: new GitWriter({ mirror: new GitMirror(r.fixture.bare, 'main', join(r.fixture.root, 'mirror')), author: BOT, push: false, log: silentLogger() }),
      metrics: new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false }),
      log: silentLogger(),
      botEmail: BOT.email,
      dryRun: false,
      now: () => r.clock.t,
    });
    activate(r, 'jp-svc-plus-1', 'jp');
    activate(r, 'sg-svc-plus-1', 'sg');
    r.registry.applyProbe('sg-svc-plus-1', { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    const before = head(r);
    await local.pass();
    assert.equal(head(r), before, 'nothing pushed');
    assert.equal(local.lastReport?.commit !== null, true, 'a local commit was made');
    assert.deepEqual(await r.store.listDecisions({}), [], 'no decision recorded for a commit that did not land');
  });

  it('changes nothing while no region has a ready node (fail static)', async () => {
    const before = head(r);
    assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
    assert.equal(head(r), before);
    assert.equal(r.reconciler.lastReport?.plan?.services['svc-plus']?.gtm?.alert, 'no_ready_nodes');
  });
});

describe('xplane plan', () => {
  it('prints the commit message and the diff the loop would make, and writes nothing', async () => {
    const r = await rig();
    try {
      activate(r, 'jp-svc-plus-1', 'jp');
      activate(r, 'sg-svc-plus-1', 'sg');
      r.registry.applyProbe('sg-svc-plus-1', { ok: false, hard: true, detail: 'connection refused', ms: 1 });
      await r.registry.stop();
      const before = head(r);
      const res = await runCli(['plan', '--repo', r.fixture.bare, '--db', join(r.fixture.root, 'x.db'), '--workdir', join(r.fixture.root, 'plan-mirror')], {
        cwd: r.fixture.root,
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /the loop would commit:/);
      assert.match(res.stdout, /gtm: svc-plus sg weight 10→0 \(ready 0 < min 1\)/);
      assert.match(res.stdout, /^-\s+weight: 10 /m);
      assert.match(res.stdout, /^\+\s+weight: 0 /m);
      assert.equal(head(r), before, 'nothing was pushed');
      const json = await runCli(
        ['plan', '--json', '--repo', r.fixture.bare, '--db', join(r.fixture.root, 'x.db'), '--workdir', join(r.fixture.root, 'plan-mirror')],
        { cwd: r.fixture.root },
      );
      const parsed = JSON.parse(json.stdout) as { head: string; decisions: { summary: string }[] };
      assert.equal(parsed.head, before);
      assert.equal(parsed.decisions.length, 2);
    } finally {
      await r.store.close();
      r.fixture.cleanup();
    }
  });
});
