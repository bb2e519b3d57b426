// A running control loop for tests that look at it from outside (the operator
// commands, the status page): a bare remote seeded with the example and fast
// loop settings, a real `xplane serve`, and three nodes played over HTTP that
// stay within the CPU thresholds, so only what a test does makes decisions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeGitFixture, gitSync, type GitFixture } from '../../src/testing/index.js';
import { FakeNode, commitFastLoop, until } from './fake-node.js';
import { freePort, startServe, type ServeProcess } from './serve.js';

/** The tokens the rig's server takes. */
export const RIG_TOKENS = { bootstrap: 'rig-bootstrap-token', admin: 'rig-admin-token-0123456789' };

/** The loop, its remote and its nodes. */
export interface LoopRig {
  fixture: GitFixture;
  serve: ServeProcess;
  /** jp-svc-plus-1, jp-svc-plus-2 and sg-svc-plus-1. */
  nodes: FakeNode[];
  /** The state folder (database, work dir). */
  state: string;
  /** Stops the nodes and the server and removes every temp folder. */
  stop(): Promise<void>;
}

/** Starts the loop and waits until all three nodes are active. */
export async function startLoopRig(): Promise<LoopRig> {
  const fixture = makeGitFixture();
  const port = await freePort();
  commitFastLoop(fixture, port);
  const state = mkdtempSync(join(tmpdir(), 'xplane-rig-'));
  const serve = await startServe(
    ['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work'), '--sync-interval', '300ms', '--reconcile-interval', '300ms'],
    { XPLANE_BOOTSTRAP_TOKEN: RIG_TOKENS.bootstrap, XPLANE_ADMIN_TOKEN: RIG_TOKENS.admin, XPLANE_LOG_LEVEL: 'warn' },
  );
  const nodes = [
    new FakeNode('jp-svc-plus-1', 'jp', '127.0.0.2', RIG_TOKENS.bootstrap),
    new FakeNode('jp-svc-plus-2', 'jp', '127.0.0.3', RIG_TOKENS.bootstrap),
    new FakeNode('sg-svc-plus-1', 'sg', '127.0.0.4', RIG_TOKENS.bootstrap),
  ];
  const rig: LoopRig = {
    fixture,
    serve,
    nodes,
    state,
    async stop() {
      for (const n of nodes) await n.down();
      await serve.stop();
      fixture.cleanup();
      rmSync(state, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) await n.up(() => serve.url, port, 0.5);
    await until('three active nodes', async () => {
      const res = await fetch(`${serve.url}/v1/nodes?state=active`, { headers: { authorization: `Bearer ${RIG_TOKENS.admin}` } });
      return ((await res.json()) as unknown[]).length === 3 ? true : undefined;
    });
  } catch (err) {
    await rig.stop();
    throw err;
  }
  return rig;
}

/** Stops sg's only node and waits for the loop's `gtm: svc-plus sg weight 10→0` commit; answers that commit's id. */
export async function takeSgOut(rig: LoopRig): Promise<string> {
  await rig.nodes[2]?.down();
  return until('the sg weight commit', () => {
    const commit = gitSync(rig.fixture.bare, 'log', '--format=%H', '--fixed-strings', '--grep', 'gtm: svc-plus sg weight 10→0', 'main').split('\n')[0];
    return commit === '' ? undefined : commit;
  });
}

/** Pushes a commit whose autoscale policy has `scale_up_cpu: high`, which the sync rejects; answers its id. */
export function pushInvalidCommit(rig: LoopRig): string {
  const path = 'platform-config/autoscale/svc-plus.yaml';
  // The loop pushes too: rebase onto its commits, and try again if it pushed in between.
  for (let attempt = 1; ; attempt += 1) {
    gitSync(rig.fixture.work, 'pull', '--quiet', '--rebase', 'origin', 'main');
    const text = rig.fixture.read(path).replace(/scale_up_cpu: [\d.]+/, 'scale_up_cpu: high');
    try {
      return rig.fixture.commit({ [path]: text }, 'test: a typo the sync must reject');
    } catch (err) {
      if (attempt >= 5) throw err;
      gitSync(rig.fixture.work, 'reset', '--quiet', '--hard', 'origin/main');
    }
  }
}
