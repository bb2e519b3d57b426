// The control loop end to end: a real `xplane serve` with short intervals, a
// bare remote seeded with the example, nodes driven over HTTP (register,
// heartbeat, /healthz), and the commits that arrive on the remote.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeNode, commitFastLoop, messageLines, until } from './helpers/fake-node.js';
import { gitSync, makeGitFixture, type GitFixture } from '../src/testing/index.js';
import { freePort, startServe, type ServeProcess } from './helpers/serve.js';

const BOOTSTRAP = 'loop-bootstrap';
const ADMIN = 'loop-admin';
const JP = 'stacks/Pulumi.jp.yaml';

describe('control loop', () => {
  let fixture: GitFixture;
  let state: string;
  let serve: ServeProcess;
  let port: number;
  const nodes: FakeNode[] = [];

  before(async () => {
    fixture = makeGitFixture();
    port = await freePort();
    commitFastLoop(fixture, port);
    state = mkdtempSync(join(tmpdir(), 'xplane-loop-'));
    serve = await startServe(
      ['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work'), '--sync-interval', '300ms', '--reconcile-interval', '300ms'],
      { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_LOG_LEVEL: 'warn' },
    );
    nodes.push(
      new FakeNode('jp-svc-plus-1', 'jp', '127.0.0.2', BOOTSTRAP),
      new FakeNode('jp-svc-plus-2', 'jp', '127.0.0.3', BOOTSTRAP),
      new FakeNode('sg-svc-plus-1', 'sg', '127.0.0.4', BOOTSTRAP),
    );
    await nodes[2]?.up(() => serve.url, port, 0.5);
  });

  after(async () => {
    for (const n of nodes) await n.down();
    // before() may have stopped before assigning them.
    await (serve as ServeProcess | undefined)?.stop();
    (fixture as GitFixture | undefined)?.cleanup();
    rmSync(state, { recursive: true, force: true });
  });

  it('scales jp out when its nodes run hot: `autoscale: svc-plus jp 2→3 (cpu=0.90)` with the new node name', async () => {
    await nodes[0]?.up(() => serve.url, port, 0.9);
    await nodes[1]?.up(() => serve.url, port, 0.9);
    const subject = await until('the scale-out commit', () => messageLines(fixture).find((s) => s.includes('autoscale: svc-plus jp 2→3 (cpu=0.90)')));
    assert.ok(subject);
    const stack = gitSync(fixture.bare, 'show', `main:${JP}`);
    assert.match(stack, /nodes: \[jp-svc-plus-1, jp-svc-plus-2, jp-svc-plus-3\]/);
    assert.match(stack, /excluded: \[jp-svc-plus-3\]/);
    assert.match(stack, /# provider settings: humans own these/, 'comments are kept');
    const author = gitSync(fixture.bare, 'log', '-1', '--format=%an <%ae>', 'main', '--', JP);
    assert.equal(author, 'xplane-bot <xplane-bot@users.noreply.local>');
  });

  it('takes a region to weight 0 when its nodes stop: `gtm: svc-plus sg weight 10→0 (ready 0 < min 1)`', async () => {
    await nodes[2]?.down();
    await until('the gtm commit', () => (messageLines(fixture).some((s) => s.includes('gtm: svc-plus sg weight 10→0 (ready 0 < min 1)')) ? true : undefined));
    // The head may have moved on since; read the stack as that commit left it.
    const commit = gitSync(fixture.bare, 'log', '--format=%H', '--fixed-strings', '--grep', 'gtm: svc-plus sg weight 10→0', 'main').split('\n')[0] ?? '';
    assert.match(gitSync(fixture.bare, 'show', `${commit}:stacks/Pulumi.sg.yaml`), /weight: 0 /);
  });

  it('leaves a key alone after a human reverts the loop’s commit, and shows the hold', async () => {
    const scaleOut = gitSync(fixture.bare, 'log', '--format=%H', '--fixed-strings', '--grep', 'autoscale: svc-plus jp 2→3', 'main').split('\n')[0] ?? '';
    gitSync(fixture.work, 'pull', '--quiet', '--rebase', 'origin', 'main');
    gitSync(fixture.work, 'revert', '--no-edit', scaleOut);
    gitSync(fixture.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    const reverted = gitSync(fixture.work, 'rev-parse', 'HEAD');
    const status = await until('the hold in the status API', async () => {
      const res = await fetch(`${serve.url}/v1/services/svc-plus`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const body = (await res.json()) as { regions: Record<string, { holds: { key: string; commit: string }[] }> };
      return body.regions.jp?.holds.some((h) => h.key === 'nodes') ? body : undefined;
    });
    assert.equal(status.regions.jp?.holds.find((h) => h.key === 'nodes')?.commit, reverted);
    // Several passes later the node list is still the human's.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.match(gitSync(fixture.bare, 'show', `main:${JP}`), /nodes: \[jp-svc-plus-1, jp-svc-plus-2\]/);
    assert.equal(messageLines(fixture).filter((s) => s.startsWith('autoscale: svc-plus jp 2→3')).length, 1, 'the scale-out is not re-applied');
  });
});
