// Two `xplane serve` control planes on one store, each with the embedded DNS
// server (contract §8). The registry lives on the leader; the follower learns
// which nodes are down from the store, so a dead node leaves the follower's
// answers too — without waiting for the Git path or a converge.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryDns, RRType, writeRecordFile } from '../src/dns/index.js';
import { silentLogger } from '../src/log/index.js';
import { startControlPlane, type ControlPlane } from '../src/runtime/index.js';
import { resolveSettings } from '../src/settings/index.js';
import { FakeNode, commitFastLoop, until } from './helpers/fake-node.js';
import { makeGitFixture, type GitFixture } from '../src/testing/index.js';
import { freePort } from './helpers/serve.js';

const BOOTSTRAP = 'fdns-bootstrap';
const GTM = 'platform-config/gtm/svc-plus.yaml';
const LIVE = '127.3.0.1';
const DEAD = '127.3.0.2';

describe('the embedded DNS on a follower replica', () => {
  let fixture: GitFixture;
  let state: string;
  let port: number;
  const planes: ControlPlane[] = [];
  const nodes: FakeNode[] = [];

  const start = async (name: string): Promise<ControlPlane> => {
    const { settings } = resolveSettings({
      flags: {
        repo: fixture.bare,
        db: join(state, 'xplane.db'),
        workdir: join(state, name, 'work'),
        listen: `127.0.0.1:${await freePort()}`,
        dns_listen: '127.0.0.1:0',
        dns_dir: join(state, 'dns'),
        sync_interval: '300ms',
        reconcile_interval: '300ms',
        lease_ttl: '1s',
      },
      env: {},
    });
    const plane = await startControlPlane(settings, silentLogger(), { env: { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: 'fdns-admin' } });
    planes.push(plane);
    return plane;
  };

  /** The addresses `plane`'s DNS gives for api.svc.plus over `n` queries. */
  const answers = async (plane: ControlPlane, n: number): Promise<Set<string>> => {
    const [host, dnsPort] = (plane.dnsAddress ?? '').split(':');
    const seen = new Set<string>();
    for (let i = 0; i < n; i += 1) {
      const reply = await queryDns('api.svc.plus', RRType.A, { host, port: Number(dnsPort) });
      for (const rr of reply.answers) if (rr.data.kind === 'a') seen.add(rr.data.address);
    }
    return seen;
  };

  before(async () => {
    fixture = makeGitFixture();
    port = await freePort();
    commitFastLoop(fixture, port);
    fixture.commit({ [GTM]: fixture.read(GTM).replace('provider: route53', 'provider: local') }, 'test: the local DNS provider');
    state = mkdtempSync(join(tmpdir(), 'xplane-fdns-'));
    // What converge would have written for jp: both nodes, equal shares.
    await writeRecordFile(join(state, 'dns'), {
      domain: 'api.svc.plus',
      region: 'jp',
      ttl: 1,
      zone: 'svc.plus',
      records: [
        { node: 'jp-svc-plus-1', ip: LIVE, weight: 50 },
        { node: 'jp-svc-plus-2', ip: DEAD, weight: 50 },
      ],
    });
  });

  after(async () => {
    for (const n of nodes) await n.down();
    for (const p of planes.reverse()) await p.stop();
    // before() may have stopped before assigning it.
    (fixture as GitFixture | undefined)?.cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('leaves out a node the leader marked down, as the leader does', async () => {
    const leader = await start('a');
    const follower = await start('b');
    assert.equal(leader.leadership.isLeader, true);
    assert.equal(follower.leadership.isLeader, false);
    assert.ok(follower.dnsAddress, 'the follower serves DNS');

    for (const [name, host] of [
      ['jp-svc-plus-1', LIVE],
      ['jp-svc-plus-2', DEAD],
    ] as const) {
      const node = new FakeNode(name, 'jp', host, BOOTSTRAP);
      nodes.push(node);
      await node.up(() => follower.url, port, 0.3);
    }
    await until('both nodes active on the leader', () =>
      leader.registry.record('jp-svc-plus-1')?.state === 'active' && leader.registry.record('jp-svc-plus-2')?.state === 'active' ? true : undefined,
    );
    assert.deepEqual([...(await answers(follower, 30))].sort(), [LIVE, DEAD], 'the follower answers with both nodes while both are up');

    const killed = performance.now();
    await nodes[1]?.down();
    await until('jp-svc-plus-2 down on the leader', () => (leader.registry.record('jp-svc-plus-2')?.state === 'down' ? true : undefined), 10_000, 20);
    const downOnLeader = performance.now() - killed;
    await until('the follower DNS without the dead node', async () => (!(await answers(follower, 10)).has(DEAD) ? true : undefined), 10_000, 50);
    const gone = performance.now() - killed;
    console.log(`# dead node down on the leader after ${Math.round(downOnLeader)} ms, out of the follower's DNS after ${Math.round(gone)} ms`);
    // The leader writes state changes within a second and the follower polls every second.
    assert.ok(gone - downOnLeader <= 2_500, `the follower took ${Math.round(gone - downOnLeader)} ms after the leader`);
    assert.deepEqual([...(await answers(follower, 30))], [LIVE]);
    assert.deepEqual([...(await answers(leader, 30))], [LIVE]);
  });
});
