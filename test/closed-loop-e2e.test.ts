// The whole loop end to end with the real Pulumi engine: load on a node of
// `xplane demo` moves its simulated CPU, the autoscaler commits to the bare
// remote, inline converge starts the new agent, GTM takes it into DNS; without
// load the loop scales in, drains and removes it. A human `git revert` of a
// scale-out is converged away and holds the key against the loop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { gitSync, REPO_ROOT } from '../src/testing/index.js';
import { alive, gitOut, Load, startPlayground, until, type NodeView, type Playground } from './helpers/playground.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the end-to-end tests: ${(err as Error).message}`, { cause: err });
}

const JP_STACK = 'stacks/Pulumi.jp.yaml';
/** Above jp's scale_up_cpu 0.7 on one node (capacity 100 req/s), and still 0.55 < 0.7 spread over two. */
const QPS = 110;
const SCALE_OUT = 'autoscale: svc-plus jp 1→2 (cpu=';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const ipOf = (address: string): string => address.slice(0, address.lastIndexOf(':'));

/** Commits on main whose message has `text`, newest first. */
function commitsWith(bare: string, text: string): string[] {
  return gitOut(bare, 'log', '--format=%H', '--fixed-strings', '--grep', text, 'main')
    .split('\n')
    .filter((s) => s !== '');
}

/** The pool's `nodes` in the jp stack at `rev`. */
function jpNodesAt(bare: string, rev: string): string[] {
  const m = /nodes: \[([^\]]*)\]/.exec(gitOut(bare, 'show', `${rev}:${JP_STACK}`));
  return (m?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Scale-up lines of jp (`from→to` with to > from) on the remote. */
function jpScaleUps(pg: Playground): string[] {
  return pg.messageLines().filter((l) => {
    const m = /^autoscale: svc-plus jp (\d+)→(\d+) /.exec(l);
    return m !== null && Number(m[2]) > Number(m[1]);
  });
}

describe('the closed loop on the playground', { skip: cli === undefined ? 'no Pulumi CLI here' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-loop-e2e-'));
  let pg: Playground | undefined;
  let jp1: NodeView | undefined;
  const loads: Load[] = [];

  before(async () => {
    pg = await startPlayground(dir, cli ?? '');
    const p = pg;
    jp1 = await until('jp-svc-plus-1 active', async () => (await p.nodes()).find((n) => n.name === 'jp-svc-plus-1' && n.state === 'active'), 120_000);
    const ip = ipOf(jp1.address);
    // The record files land at the end of the first converge, a little after the agents start.
    await until('DNS answering with jp-svc-plus-1', async () => ((await p.answers(10)).has(ip) ? true : undefined), 60_000);
  });

  after(() => {
    for (const l of loads) l.stop();
    pg?.child.kill('SIGKILL');
    // Whatever happened, no agent of this playground may outlive the test.
    pg?.killAgents();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales jp out under load (commit → agent → DNS), and back in after the load stops (drain → removal → process gone)', async () => {
    assert.ok(pg && jp1);
    const p = pg;
    const load = new Load(jp1.address, QPS);
    loads.push(load);
    const loadAt = Date.now();
    load.start();

    const line = await until('the scale-out commit', () => p.messageLines().find((l) => l.startsWith(SCALE_OUT)), 120_000);
    console.log(`# scale-out commit after ${seconds(Date.now() - loadAt)} s of load: ${line}`);
    const committedAt = Date.now();

    const jp2 = await until('jp-svc-plus-2 active', async () => (await p.nodes()).find((n) => n.name === 'jp-svc-plus-2' && n.state === 'active'), 180_000);
    console.log(`# jp-svc-plus-2 active ${seconds(Date.now() - committedAt)} s after the commit`);
    const pid2 = p.pidOf('jp-svc-plus-2');
    assert.ok(pid2 !== undefined && alive(pid2), 'the new agent runs under the pid the local target recorded');
    const ip2 = ipOf(jp2.address);
    await until('DNS answering with jp-svc-plus-2', async () => ((await p.answers(20)).has(ip2) ? true : undefined), 90_000);
    console.log(`# jp-svc-plus-2 in the DNS answers ${seconds(Date.now() - committedAt)} s after the commit`);

    load.stop();
    const stoppedAt = Date.now();
    // cpu_window 10s, then scale_down_stabilization 30s; the cooldown (20s) runs meanwhile.
    const down = await until('the scale-down commit', () => p.messageLines().find((l) => l.startsWith('autoscale: svc-plus jp 2→1 (')), 150_000);
    console.log(`# scale-down commit ${seconds(Date.now() - stoppedAt)} s after the load stopped: ${down}`);
    await until('jp-svc-plus-2 out of the DNS answers', async () => (!(await p.answers(20)).has(ip2) ? true : undefined), 90_000);
    const removal = await until(
      'the removal commit',
      () => p.messageLines().find((l) => l.startsWith('autoscale: svc-plus jp remove jp-svc-plus-2 (drained')),
      90_000,
    );
    console.log(`# removal commit ${seconds(Date.now() - stoppedAt)} s after the load stopped: ${removal}`);
    await until('the jp-svc-plus-2 agent gone', () => (!alive(pid2) ? true : undefined), 120_000);
    console.log(
      `# jp-svc-plus-2 agent gone ${seconds(Date.now() - stoppedAt)} s after the load stopped (pid file ${p.pidOf('jp-svc-plus-2') === undefined ? 'removed' : 'left behind'})`,
    );
    assert.deepEqual(jpNodesAt(p.bare, 'main'), ['jp-svc-plus-1']);
    assert.ok(alive(p.pidOf('jp-svc-plus-1') ?? -1), 'jp-svc-plus-1 is untouched');
  });

  it('converges a human `git revert` of a scale-out away and holds `nodes` against the loop while load continues', async () => {
    assert.ok(pg && jp1);
    const p = pg;
    const earlier = new Set(commitsWith(p.bare, SCALE_OUT));
    const load = new Load(jp1.address, QPS);
    loads.push(load);
    const loadAt = Date.now();
    load.start();

    // The cooldown of the last scale-down may still run; then cpu_window has to fill.
    const scaleOut = await until('a new scale-out commit', () => commitsWith(p.bare, SCALE_OUT).find((c) => !earlier.has(c)), 150_000);
    const seenAt = Date.now();
    console.log(`# second scale-out commit after ${seconds(seenAt - loadAt)} s of load`);
    const added = jpNodesAt(p.bare, scaleOut).filter((n) => !jpNodesAt(p.bare, `${scaleOut}^`).includes(n));
    assert.equal(added.length, 1, `one node added: ${added.join(', ')}`);
    const node = added[0] ?? '';

    // Revert at once: the loop's next jp commit (GTM including the new node) edits the lines next to `nodes`.
    const work = mkdtempSync(join(tmpdir(), 'xplane-loop-e2e-human-'));
    let reverted = '';
    try {
      gitSync(work, 'clone', '--quiet', p.bare, 'w');
      const w = join(work, 'w');
      for (let attempt = 1; ; attempt += 1) {
        gitSync(w, 'fetch', '--quiet', 'origin', 'main');
        gitSync(w, 'reset', '--quiet', '--hard', 'origin/main');
        gitSync(w, 'revert', '--no-edit', scaleOut);
        try {
          gitSync(w, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
          reverted = gitSync(w, 'rev-parse', 'HEAD');
          break;
        } catch (err) {
          // The loop pushed in between: start again from its head.
          if (attempt >= 5) throw err;
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`# revert pushed ${seconds(Date.now() - seenAt)} s after the scale-out commit appeared`);

    const status = await until(
      'the hold on jp nodes',
      async () => {
        const s = await p.status('svc-plus');
        return s.regions.jp?.holds.some((h) => h.key === 'nodes') ? s : undefined;
      },
      60_000,
    );
    assert.equal(status.regions.jp?.holds.find((h) => h.key === 'nodes')?.commit, reverted);

    // Inline converge applies the revert: once the checkout has it and the agent is not there, it is gone for good.
    let pidSeen: number | undefined;
    const checkout = join(p.dir, 'checkout');
    await until(
      `the ${node} agent gone after converging the revert`,
      () => {
        const pid = p.pidOf(node);
        pidSeen ??= pid;
        gitOut(checkout, 'merge-base', '--is-ancestor', reverted, 'HEAD');
        // A started agent may outlive its pid file or the other way round: judge by the process.
        return pidSeen === undefined ? (pid === undefined ? true : undefined) : !alive(pidSeen) ? true : undefined;
      },
      180_000,
    );
    console.log(
      `# revert converged, ${node} not running, ${seconds(Date.now() - seenAt)} s after the scale-out commit (its agent ${pidSeen === undefined ? 'had not started' : 'was started, then stopped'})`,
    );
    assert.deepEqual(jpNodesAt(p.bare, 'main'), ['jp-svc-plus-1']);

    // The loop still sees jp hot and would scale it out, but the key is the human's.
    await until(
      'the autoscaler holding hot jp',
      async () => {
        const a = (await p.status('svc-plus')).regions.jp?.autoscale;
        return a && typeof a.cpu === 'number' && a.cpu > 0.7 && a.reason === 'held by a human change' ? true : undefined;
      },
      60_000,
    );
    const ups = jpScaleUps(p).length;
    // Past the scale-out's cooldown (20s) and two more passes (reconcile_interval 2s), still no scale-up.
    const until25s = seenAt + 25_000;
    while (Date.now() < until25s) {
      assert.equal(jpScaleUps(p).length, ups, 'no scale-up while held');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(jpScaleUps(p).length, ups, 'no scale-up while held');
    assert.deepEqual(jpNodesAt(p.bare, 'main'), ['jp-svc-plus-1']);
    load.stop();
  });

  it('stops on Ctrl-C with exit 0 and removes its nodes', async () => {
    assert.ok(pg);
    const p = pg;
    const pid1 = p.pidOf('jp-svc-plus-1');
    const exited = new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    p.child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, `exit ${code}\n${p.stdout()}\n${p.stderr()}`);
    assert.match(p.stdout(), /stopping: removing the playground’s nodes/);
    if (pid1 !== undefined) await until('jp-svc-plus-1 stopped', () => (!alive(pid1) ? true : undefined), 30_000);
  });
});
