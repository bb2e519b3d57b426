// Several `xplane serve` replicas on one real PostgreSQL: any replica takes
// the node API (followers forward to the leader), exactly one leads, and when
// the leader is killed with SIGKILL in the middle of a pass — after its commit,
// before its push; or after its push, before it noted it — another takes over
// within two lease periods, and the remote ends with each decision exactly
// once: nothing lost, nothing duplicated, no force-push, no merge.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeNode, commitFastLoop, messageLines, until } from './helpers/fake-node.js';
import { gitSync, makeGitFixture, type GitFixture, freshPostgresDb, postgresSkipReason, type PostgresDb } from '../src/testing/index.js';
import { freePort, leaderGauge, startServe, type ServeProcess } from './helpers/serve.js';

const BOOTSTRAP = 'ha-bootstrap';
const ADMIN = 'ha-admin';
const JP = 'stacks/Pulumi.jp.yaml';
const LEASE_MS = 2_000;

/** True when the replica's log shows it paused at `failpoint` with a commit whose message has `decision`. */
function pausedAt(replica: ServeProcess, failpoint: string, decision: string): boolean {
  return replica
    .stderr()
    .split('\n')
    .some((line) => line.includes(`failpoint ${failpoint}`) && line.includes(decision));
}

describe('replicas on one Postgres: leader election and failover', async () => {
  const db: PostgresDb | undefined = await freshPostgresDb();
  let fixture: GitFixture;
  let state: string;
  let port: number;
  const replicas: ServeProcess[] = [];
  const nodes: FakeNode[] = [];
  let entry = '';

  const start = async (name: string, env: Record<string, string> = {}): Promise<ServeProcess> => {
    const replica = await startServe(
      [
        '--repo',
        fixture.bare,
        '--db',
        db?.url ?? '',
        '--workdir',
        join(state, name, 'work'),
        '--sync-interval',
        '300ms',
        '--reconcile-interval',
        '300ms',
        '--lease-ttl',
        `${LEASE_MS}ms`,
      ],
      { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_LOG_LEVEL: 'info', ...env },
    );
    replicas.push(replica);
    return replica;
  };

  before(async () => {
    if (!db) return;
    fixture = makeGitFixture();
    port = await freePort();
    commitFastLoop(fixture, port);
    state = mkdtempSync(join(tmpdir(), 'xplane-ha-'));
  });

  after(async () => {
    for (const n of nodes) await n.down();
    for (const r of replicas) await r.stop();
    // before() may have stopped before assigning it.
    (fixture as GitFixture | undefined)?.cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
    await db?.drop();
  });

  it('has exactly one leader, and a follower forwards registrations, heartbeats and reads to it', { skip: db ? false : postgresSkipReason() }, async () => {
    const a = await start('a', { XPLANE_FAILPOINTS: 'writer.before-push=6000' });
    const b = await start('b');
    assert.equal(await leaderGauge(a), 1);
    assert.equal(await leaderGauge(b), 0);
    entry = b.url;
    nodes.push(new FakeNode('sg-svc-plus-1', 'sg', '127.2.0.4', BOOTSTRAP));
    await nodes[0]?.up(() => entry, port, 0.5);
    for (const replica of [a, b]) {
      const listed = await until(`sg-svc-plus-1 active through ${replica.url}`, async () => {
        const res = await fetch(`${replica.url}/v1/nodes?service=svc-plus`, { headers: { authorization: `Bearer ${ADMIN}` } });
        const body = (await res.json()) as { name: string; state: string }[];
        return body.find((n) => n.name === 'sg-svc-plus-1' && n.state === 'active');
      });
      assert.ok(listed);
    }
  });

  it(
    'kill -9 of the leader between its commit and its push: the follower takes over within two lease periods and the decision lands once',
    { skip: db ? false : postgresSkipReason() },
    async (t) => {
      const [a, b] = replicas;
      assert.ok(a && b);
      nodes.push(new FakeNode('jp-svc-plus-1', 'jp', '127.2.0.2', BOOTSTRAP), new FakeNode('jp-svc-plus-2', 'jp', '127.2.0.3', BOOTSTRAP));
      await nodes[1]?.up(() => entry, port, 0.9);
      await nodes[2]?.up(() => entry, port, 0.9);
      // The leader computed the scale-out, committed it locally and now waits at the failpoint.
      await until(
        'the leader pausing before pushing the scale-out',
        () => (pausedAt(a, 'writer.before-push', 'autoscale: svc-plus jp 2→3') ? true : undefined),
        30_000,
      );
      assert.ok(!messageLines(fixture).some((l) => l.includes('autoscale: svc-plus jp 2→3')), 'nothing pushed yet');
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      await until('b to lead', async () => ((await leaderGauge(b)) === 1 ? true : undefined), 4 * LEASE_MS, 20);
      const takeoverMs = Date.now() - killedAt;
      t.diagnostic(`takeover after kill -9: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
      assert.ok(takeoverMs <= 2 * LEASE_MS, `took over in ${takeoverMs} ms, more than two lease periods`);

      await until('the scale-out on the remote', () =>
        messageLines(fixture).some((l) => l.includes('autoscale: svc-plus jp 2→3 (cpu=0.90)')) ? true : undefined,
      );
      // Several passes later: still exactly once, and nothing built on a lost commit.
      await new Promise((r) => setTimeout(r, 3_000));
      const lines = messageLines(fixture);
      assert.equal(lines.filter((l) => l.includes('autoscale: svc-plus jp 2→3')).length, 1, lines.join('\n'));
      assert.ok(!lines.some((l) => /autoscale: svc-plus jp 3→/.test(l)), 'no second scale-out');
      assert.match(gitSync(fixture.bare, 'show', `main:${JP}`), /nodes: \[jp-svc-plus-1, jp-svc-plus-2, jp-svc-plus-3\]/);
      assert.equal(gitSync(fixture.bare, 'rev-list', '--merges', 'main'), '', 'no merge commits');
    },
  );

  it(
    'kill -9 of the leader after its push: the next leader finds the decision on the remote and does not repeat it',
    { skip: db ? false : postgresSkipReason() },
    async (t) => {
      const b = replicas[1];
      assert.ok(b);
      const c = await start('c', { XPLANE_FAILPOINTS: 'writer.after-push=6000' });
      assert.equal(await leaderGauge(c), 0);
      // A clean stop hands the lease over at once.
      const stoppedAt = Date.now();
      entry = c.url;
      await b.stop();
      await until('c to lead', async () => ((await leaderGauge(c)) === 1 ? true : undefined), 4 * LEASE_MS, 20);
      t.diagnostic(`handover after a clean stop: ${Date.now() - stoppedAt} ms`);
      const d = await start('d');
      entry = d.url;

      const before = messageLines(fixture).filter((l) => l.includes('gtm: svc-plus sg weight 10→0')).length;
      await nodes[0]?.down();
      await until(
        'the leader pausing after pushing the weight change',
        () => (pausedAt(c, 'writer.after-push', 'gtm: svc-plus sg weight 10→0') ? true : undefined),
        30_000,
      );
      assert.equal(messageLines(fixture).filter((l) => l.includes('gtm: svc-plus sg weight 10→0')).length, before + 1, 'pushed once');
      const killedAt = Date.now();
      c.child.kill('SIGKILL');
      await until('d to lead', async () => ((await leaderGauge(d)) === 1 ? true : undefined), 4 * LEASE_MS, 20);
      const takeoverMs = Date.now() - killedAt;
      t.diagnostic(`takeover after kill -9: ${takeoverMs} ms (lease ${LEASE_MS} ms)`);
      assert.ok(takeoverMs <= 2 * LEASE_MS, `took over in ${takeoverMs} ms, more than two lease periods`);
      // The new leader runs passes on the same facts: none repeats or undoes the pushed decision.
      await new Promise((r) => setTimeout(r, 3_000));
      const lines = messageLines(fixture);
      assert.equal(lines.filter((l) => l.includes('gtm: svc-plus sg weight 10→0')).length, before + 1, lines.join('\n'));
      assert.ok(!lines.some((l) => l.includes('gtm: svc-plus sg weight 0→')), 'the weight was not put back');
      assert.match(gitSync(fixture.bare, 'show', 'main:stacks/Pulumi.sg.yaml'), /weight: 0 /);
    },
  );
});
