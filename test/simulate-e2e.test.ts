// The simulator is honest about the real loop: a real `xplane serve` (SQLite,
// a bare remote seeded with the example, agents heartbeating over HTTP) runs
// under load that scales jp out twice and back in twice; `xplane metrics
// export` from its store, fed to `xplane simulate` with the configuration that
// was in force, gives the decisions the serve committed: the same kinds in the
// same regions, in the same order, each within one reconcile interval.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore, type DecisionRecord } from '../src/store/index.js';
import { gitSync, makeGitFixture } from '../src/testing/index.js';
import { runCli } from './helpers/cli.js';
import { FleetDriver } from './helpers/fleet-driver.js';
import { until } from './helpers/fake-node.js';
import { startServe } from './helpers/serve.js';

const BOOTSTRAP = 'simulate-bootstrap';
const ADMIN = 'simulate-admin';
const RECONCILE_MS = 3_000;
const BOOT_MS = 2_500;
const GTM = 'platform-config/gtm/svc-plus.yaml';
const AUTOSCALE = 'platform-config/autoscale/svc-plus.yaml';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SimDecision {
  at: number;
  controller: string;
  kind: string;
  region: string;
  summary: string;
}

describe('xplane simulate replays what a real serve saw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-simulate-e2e-'));
  const fixture = makeGitFixture();
  after(() => {
    fixture.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reproduces the decisions serve committed: same kinds and regions, each within one reconcile interval', { timeout: 120_000 }, async (t) => {
    // A fast policy: a 3 s CPU window, an 8 s cooldown (longer than a boot and a window: each step scales
    // once), 3 s stabilization, a 1 s drain (2 s with the 1 s TTL).
    fixture.commit(
      {
        [GTM]: `${fixture.read(GTM).replace(/ttl: \d+/, 'ttl: 1')}global:\n  min_change_interval: 3s\n`,
        [AUTOSCALE]: fixture
          .read(AUTOSCALE)
          .replace(/cpu_window: \S+/, 'cpu_window: 3s')
          .replace(/cooldown: \S+/, 'cooldown: 8s')
          .replace(/scale_down_stabilization: \S+/, 'scale_down_stabilization: 3s')
          .replace(/drain: \S+/, 'drain: 1s')
          .replace(/max_nodes: 5/, 'max_nodes: 3'),
      },
      'test: a fast policy',
    );
    const db = join(dir, 'x.db');
    const serve = await startServe(
      [
        '--repo',
        fixture.bare,
        '--db',
        db,
        '--workdir',
        join(dir, 'work'),
        '--sync-interval',
        '300ms',
        '--reconcile-interval',
        `${RECONCILE_MS}ms`,
        '--no-probe',
      ],
      { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_LOG_LEVEL: 'info' },
    );
    const driver = new FleetDriver({
      bare: fixture.bare,
      url: serve.url,
      bootstrapToken: BOOTSTRAP,
      adminToken: ADMIN,
      service: 'svc-plus',
      regions: ['jp', 'sg'],
      bootMs: BOOT_MS,
    });
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      driver.stop();
      await serve.stop();
    };
    t.after(stop);
    const configHead = gitSync(fixture.bare, 'rev-parse', 'main');

    // Calm: jp at 0.5 on one node, sg at 0.4 on one (inside both bands). Nothing to commit.
    driver.demand.jp = 0.5;
    driver.demand.sg = 0.4;
    driver.start();
    await until(
      'both nodes active',
      async () => {
        const res = await fetch(`${serve.url}/v1/nodes?service=svc-plus&state=active`, { headers: { authorization: `Bearer ${ADMIN}` } });
        return ((await res.json()) as unknown[]).length === 2 ? true : undefined;
      },
      15_000,
    );
    await sleep(4_000);
    assert.equal(gitSync(fixture.bare, 'rev-parse', 'main'), configHead, 'nothing committed while calm');

    // Each change of load comes after the cooldown of the last scale change has run out, so every
    // decision is brought by the load and the pass that sees it, never by a timer ending between two
    // passes (where the real push's own latency decides which pass acts).
    const exportFrom = Date.now();
    await sleep(2_000);
    driver.demand.jp = 1.2; // 1.0 on one node: 1→2, then 0.6 each
    await sleep(12_000);
    driver.demand.jp = 1.9; // 0.95 on two: 2→3, then 0.63 each
    await sleep(10_000);
    driver.demand.jp = 0.7; // 0.23 on three: 3→2, drain, remove; then 0.35 on two
    // 3→2 comes up to ~6 s after the drop (3 s window, 3 s stabilization), and its 8 s cooldown must be over
    // before the next drop is seen, or 2→1 waits for a timer instead of the load.
    await sleep(16_000);
    driver.demand.jp = 0.4; // 0.2 on two: 2→1, drain, remove; then 0.4 on one
    await sleep(14_000);
    assert.deepEqual(driver.errors, []);

    const exported = await runCli(['metrics', 'export', '--db', db, '--since', `${Date.now() - exportFrom}ms`, '--service', 'svc-plus']);
    assert.equal(exported.code, 0, exported.stderr);
    await stop();
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, exported.stdout);
    const rows = exported.stdout.trim().split('\n').slice(1);
    const rowTimes = [...new Set(rows.map((r) => Date.parse(r.split(',')[0] ?? '')))];
    t.diagnostic(`exported ${rows.length} rows over ${rowTimes.length} passes`);

    const store = SqliteStore.open(db);
    let real: DecisionRecord[];
    const boots: number[] = [];
    try {
      real = (await store.listDecisions()).reverse().filter((d) => d.at >= (rowTimes[0] ?? 0) && d.at <= (rowTimes.at(-1) ?? 0) + RECONCILE_MS);
      // What a boot took in this world, as the replay counts it: from the pass that added a name (the last
      // row at or before its commit) to the registry seeing the name's agent active.
      const events = (await store.listNodeEvents({})).reverse();
      const seen = new Set<string>();
      for (const d of real.filter((r) => r.kind === 'scale_up')) {
        const joined = events.find((e) => e.to === 'warm' && e.at > d.at && e.node.startsWith(`${d.region}-`) && !seen.has(e.node));
        const active = events.find((e) => e.node === joined?.node && e.to === 'active');
        if (!joined || !active) continue;
        seen.add(joined.node);
        boots.push(active.at - Math.max(...rowTimes.filter((at) => at <= d.at)));
      }
    } finally {
      await store.close();
    }
    assert.ok(boots.length > 0, 'jp scaled out in the real run');
    const boot = Math.round(boots.reduce((a, b) => a + b, 0) / boots.length);
    t.diagnostic(`measured boots ${boots.join(', ')} ms; simulating with --boot ${boot}ms`);

    const simulated = await runCli([
      'simulate',
      '--metrics',
      trace,
      '--config',
      fixture.work,
      '--boot',
      `${boot}ms`,
      '--reconcile-interval',
      `${RECONCILE_MS}ms`,
      '--json',
    ]);
    assert.equal(simulated.code, 0, simulated.stderr);
    const sim = (JSON.parse(simulated.stdout) as { config: { decisions: SimDecision[] } }).config.decisions;

    const show = (who: string, ds: { at: number; summary: string }[]): void => {
      for (const d of ds) t.diagnostic(`${who} +${((d.at - exportFrom) / 1000).toFixed(1)}s ${d.summary}`);
    };
    show('serve   ', real);
    show('simulate', sim);
    const kinds = (ds: { controller: string; kind: string; region: string }[]): string[] => ds.map((d) => `${d.controller} ${d.region} ${d.kind}`);
    assert.deepEqual(kinds(sim), kinds(real));
    for (const [i, d] of real.entries()) {
      const s = sim[i];
      assert.ok(s && Math.abs(s.at - d.at) <= RECONCILE_MS, `${d.summary}: serve at +${d.at - exportFrom} ms, simulate at +${(s?.at ?? NaN) - exportFrom} ms`);
    }
    // The load did what it was meant to: two scale-outs taken into DNS, two scale-ins, a drained node removed.
    for (const [kind, least] of [
      ['scale_up', 2],
      ['include', 2],
      ['scale_down', 2],
      ['remove', 1],
    ] as const) {
      assert.ok(real.filter((d) => d.kind === kind).length >= least, `the real run made ${least} ${kind} decision(s) or more`);
    }
  });
});
