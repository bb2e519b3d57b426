// Region failover end to end with the real Pulumi engine (issue 6, scenario c):
// every node of a region dies → the health probe drops it from the DNS answers,
// GTM commits the region's weight to 0 on the GitOps remote, and every answer
// comes from the other region. Ctrl-C still stops the playground with exit 0.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { REPO_ROOT } from '../src/testing/index.js';
import { alive, Load, startPlayground, until, type Playground } from './helpers/playground.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the end-to-end tests: ${(err as Error).message}`, { cause: err });
}

const JP = 'jp-svc-plus-1';
const SG = 'sg-svc-plus-1';
const SG_ADDRESS = '127.2.1.1:8080';
/**
 * sg has min_nodes 0 and scale_down_cpu 0.25 (30 s stabilization): an idle sg
 * node would be scaled away. 40 req/s on capacity 100 is cpu 0.4, between
 * scale_down_cpu 0.25 and scale_up_cpu 0.6: the autoscaler holds.
 */
const SG_QPS = 40;
const SG_WEIGHT = 'gtm: svc-plus sg weight ';
const WEIGHT_ZERO = 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)';

const ipOf = (address: string): string => address.slice(0, address.lastIndexOf(':'));

describe('region failover on the playground', { skip: cli === undefined ? 'no Pulumi CLI here' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-failover-e2e-'));
  let pg: Playground | undefined;
  const load = new Load(SG_ADDRESS, SG_QPS);

  after(() => {
    load.stop();
    pg?.child.kill('SIGKILL');
    // Whatever happened, no agent of this playground may outlive the test.
    pg?.killAgents();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a region whose nodes all died out of DNS and commits its weight to 0; Ctrl-C exits 0', async () => {
    const p = await startPlayground(dir, cli ?? '');
    pg = p;
    try {
      // Keep the sg node busy from the start (refused connections until it listens are fine).
      load.start();
      const nodes = await until(
        'both nodes active',
        async () => {
          const all = await p.nodes();
          const jp = all.find((n) => n.name === JP && n.state === 'active');
          const sg = all.find((n) => n.name === SG && n.state === 'active');
          return jp && sg ? { jp, sg } : undefined;
        },
        180_000,
      );
      const jpIp = ipOf(nodes.jp.address);
      const sgIp = ipOf(nodes.sg.address);
      assert.equal(nodes.sg.address, SG_ADDRESS, 'the load goes to the sg node');

      // sg gets ~9% of the answers (weight 10 against 100): ask many times, keep what was seen.
      const seen = new Set<string>();
      await until(
        'DNS answering with both regions',
        async () => {
          for (const a of await p.answers(50)) seen.add(a);
          return seen.has(jpIp) && seen.has(sgIp) ? true : undefined;
        },
        120_000,
      );

      // While the sg node warms up, GTM may already have taken sg to 0 and back: wait until sg's
      // weight on the remote is 10 (no sg weight line yet, or the newest one ends at 10), and count
      // the weight-0 lines so far, so only a new one counts as the failover's.
      await until(
        'sg at weight 10 on the remote',
        () => {
          const newest = p.messageLines().find((l) => l.startsWith(SG_WEIGHT));
          return newest === undefined || /→10 \(/.test(newest) ? true : undefined;
        },
        60_000,
      );
      const zeroLines = (): number => p.messageLines().filter((l) => l.includes(WEIGHT_ZERO)).length;
      const zerosBefore = zeroLines();
      const sgPid = p.pidOf(SG);
      assert.ok(sgPid !== undefined && alive(sgPid), 'the sg agent runs under the pid the local target recorded');
      const killedAt = Date.now();
      process.kill(sgPid, 'SIGKILL');
      load.stop();

      // (1) Every answer comes from jp.
      await until(
        'every answer from jp',
        async () => {
          const answers = await p.answers(100);
          return answers.size === 1 && answers.has(jpIp) ? true : undefined;
        },
        60_000,
      );
      const outOfDnsMs = Date.now() - killedAt;

      // (2) GTM commits sg's weight to 0 on the remote.
      await until('the weight-0 commit for sg', () => (zeroLines() > zerosBefore ? true : undefined), 60_000);
      const committedMs = Date.now() - killedAt;

      // Still only jp once the weight is 0 in the config as well.
      const after = await p.answers(100);
      assert.deepEqual([...after], [jpIp], `answers after the weight-0 commit: ${[...after].join(', ')}`);

      // (3)
      console.log(`# sg out of DNS after ${outOfDnsMs} ms; weight-0 commit after ${committedMs} ms`);
    } finally {
      load.stop();
    }

    const jpPid = p.pidOf(JP);
    const exited = new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    p.child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, `exit ${code}\n${p.stdout()}\n${p.stderr()}`);
    assert.match(p.stdout(), /stopping: removing the playground’s nodes/);
    if (jpPid !== undefined) await until('jp-svc-plus-1 stopped', () => (!alive(jpPid) ? true : undefined), 30_000);
  });
});
