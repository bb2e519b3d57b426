// The reconciler on real git where git's own behaviour matters: a remote that
// is gone or that refuses pushes (a hook), and a push rejected because a human
// pushed during the pass. The unit tests in src/reconcile run the same logic on
// the in-memory remote; test/reconciler.test.ts covers the ordinary passes.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigInForce, GitMirror, GitopsSync, GitWriter } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { Metrics } from '../src/metrics/index.js';
import { NodeRegistry } from '../src/nodes/index.js';
import { Reconciler } from '../src/reconcile/index.js';
import { MemoryStore, type Store } from '../src/store/index.js';
import { gitSync, makeGitFixture, type GitFixture } from '../src/testing/index.js';

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
  clock: { t: number };
  tokens: Map<string, string>;
}

/** Two nodes per region, all active; `mirror` lets a test wrap the real mirror. */
async function rig(mirrorOf: (m: GitMirror) => GitMirror = (m) => m): Promise<Rig> {
  const fixture = makeGitFixture();
  fixture.commit({ 'stacks/Pulumi.jp.yaml': stack('jp', 100, JP), 'stacks/Pulumi.sg.yaml': stack('sg', 10, SG) }, 'two nodes per region');
  const store = new MemoryStore();
  const log = silentLogger();
  const mirror = mirrorOf(new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror')));
  await new GitopsSync({ mirror, store, log }).syncOnce();
  const inForce = new ConfigInForce(store);
  await inForce.refresh();
  const clock = { t: Date.now() };
  const registry = new NodeRegistry({ store, log, config: () => inForce.declarations, now: () => clock.t });
  const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  const writer = new GitWriter({ mirror, author: BOT, push: true, log, backoffMs: 1 });
  const reconciler = new Reconciler({ store, registry, inForce, mirror, writer, metrics, log, botEmail: BOT.email, dryRun: false, now: () => clock.t });
  const tokens = new Map<string, string>();
  for (const [region, names] of [
    ['jp', JP],
    ['sg', SG],
  ] as const) {
    for (const [i, name] of names.entries()) {
      tokens.set(name, registry.register({ service: 'svc-plus', region, address: `127.0.${region === 'jp' ? 2 : 3}.${i + 1}:8080`, name }).token);
      registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
      registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    }
  }
  return { fixture, store, registry, reconciler, metrics, clock, tokens };
}

const fail = (r: Rig, ...names: string[]): void => {
  for (const name of names) r.registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
};
async function metric(r: Rig, line: string): Promise<number | undefined> {
  const found = (await r.metrics.text()).split('\n').find((l) => l.startsWith(line));
  return found === undefined ? undefined : Number(found.split(' ').pop());
}
const gauge = (r: Rig, reason: string): Promise<number | undefined> => metric(r, `xplane_self_protection{service="svc-plus",reason="${reason}"}`);

describe('Reconciler on real git', () => {
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
      assert.equal(await metric(r, 'xplane_git_push_failures_total'), 8, '3 fetches that failed and 5 refused pushes');
    } finally {
      await r.registry.stop();
      r.fixture.cleanup();
    }
  });

  it('re-plans from the memory the pass began with when a human pushes during the pass, and lands on top', async () => {
    const at: { fixture?: GitFixture } = {};
    let human = '';
    // A human pushes just before the loop's first push: git rejects it as not a fast-forward.
    class Racing extends GitMirror {
      override async push(commit: string): Promise<boolean> {
        if (human === '' && at.fixture) human = at.fixture.commit({ 'platform-config/NOTES.md': 'hand edit\n' }, 'human: notes');
        return super.push(commit);
      }
    }
    const r = await rig((m) => new Racing(m.remote, m.branch, m.dir));
    at.fixture = r.fixture;
    try {
      await r.reconciler.pass();
      assert.equal(human, '', 'the calm first pass pushed nothing');
      // 3 of 4 go down at once while jp's last node runs hot: frozen, and jp scales up.
      fail(r, 'jp-svc-plus-1', 'sg-svc-plus-1', 'sg-svc-plus-2');
      r.registry.heartbeat(r.tokens.get('jp-svc-plus-2') ?? '', { name: 'jp-svc-plus-2', cpu: 0.9 });
      assert.deepEqual(await r.reconciler.pass(), { kind: 'done' });
      assert.notEqual(human, '');
      assert.equal(gitSync(r.fixture.bare, 'rev-parse', 'main~1'), human, 'landed on top of the human commit');
      assert.equal(gitSync(r.fixture.bare, 'log', '-1', '--format=%an|%B', 'main').trim(), 'xplane-bot|autoscale: svc-plus jp 2→3 (cpu=0.90)');
      assert.equal(r.reconciler.lastReport?.plan?.services['svc-plus']?.frozen?.detail, '3 of 4 nodes went down at once (more than panic_threshold 0.5)');
      assert.deepEqual(
        (await r.store.listDecisions({})).map((d) => d.commit),
        [gitSync(r.fixture.bare, 'rev-parse', 'main')],
      );
    } finally {
      await r.registry.stop();
      r.fixture.cleanup();
    }
  });
});
