import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoscalePolicy, Declarations, GtmPolicy, RegionDef } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';
import { emptyMemory } from './memory.js';
import { planPass, type PassInput, type PassPlan } from './plan.js';
import { checkPanicThreshold, countFleet, evaluateFreeze, HEALTHY, type FleetCount, type Freeze } from './safety.js';

const NOW = 1_700_000_000_000;
const M = 60_000;

describe('evaluateFreeze', () => {
  const panic = (since: number): Freeze => ({ reason: 'panic', since, detail: 'earlier' });
  const count = (nodes: number, down: number, newlyDown: number): FleetCount => ({ nodes, down, newlyDown });
  const rows: {
    name: string;
    previous?: Freeze;
    count: FleetCount;
    health?: { store: boolean; git: boolean; reason?: string };
    threshold?: number;
    want: Pick<Freeze, 'reason' | 'since'> | null;
  }[] = [
    { name: 'enters panic when more than half the nodes went down in one pass', count: count(4, 3, 3), want: { reason: 'panic', since: NOW } },
    { name: 'does not panic at exactly the threshold', count: count(4, 2, 2), want: null },
    { name: 'does not panic when the nodes went down over several passes', count: count(4, 3, 1), want: null },
    {
      name: 'stays frozen, since unchanged, while the down share is above the threshold',
      previous: panic(NOW - M),
      count: count(4, 3, 0),
      want: { reason: 'panic', since: NOW - M },
    },
    { name: 'resumes once the down share is back at the threshold', previous: panic(NOW - M), count: count(4, 2, 0), want: null },
    { name: 'resumes when the down nodes left the pools', previous: panic(NOW - M), count: count(1, 0, 0), want: null },
    {
      name: 'freezes for a lost store, whatever the nodes do',
      count: count(4, 0, 0),
      health: { store: false, git: true },
      want: { reason: 'store', since: NOW },
    },
    {
      name: 'keeps the store freeze’s start while it lasts',
      previous: { reason: 'store', since: NOW - M, detail: '' },
      count: count(4, 0, 0),
      health: { store: false, git: true },
      want: { reason: 'store', since: NOW - M },
    },
    {
      name: 'a lost store wins over a panic',
      previous: panic(NOW - M),
      count: count(4, 4, 0),
      health: { store: false, git: false },
      want: { reason: 'store', since: NOW },
    },
    { name: 'freezes for a lost Git remote', count: count(4, 0, 0), health: { store: true, git: false }, want: { reason: 'git', since: NOW } },
    {
      name: 'resumes when the store is back and few nodes are down',
      previous: { reason: 'store', since: NOW - M, detail: '' },
      count: count(4, 1, 0),
      want: null,
    },
    { name: 'threshold 0: one node going down freezes', count: count(10, 1, 1), threshold: 0, want: { reason: 'panic', since: NOW } },
    { name: 'threshold 1: nothing panics', count: count(4, 4, 4), threshold: 1, want: null },
    { name: 'a service without nodes never panics', count: count(0, 0, 0), want: null },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const got = evaluateFreeze(row.previous, row.count, row.health ?? HEALTHY, row.threshold ?? 0.5, NOW);
      assert.deepEqual(got && { reason: got.reason, since: got.since }, row.want);
    });
  }

  it('says why in words', () => {
    assert.equal(evaluateFreeze(undefined, count(4, 3, 3), HEALTHY, 0.5, NOW)?.detail, '3 of 4 nodes went down at once (more than panic_threshold 0.5)');
    assert.equal(evaluateFreeze(panic(NOW), count(4, 3, 0), HEALTHY, 0.5, NOW)?.detail, '3 of 4 nodes down (more than panic_threshold 0.5)');
    assert.equal(
      evaluateFreeze(undefined, count(1, 0, 0), { store: true, git: false, reason: 'fetch failed' }, 0.5, NOW)?.detail,
      'the Git remote is lost (fetch failed)',
    );
  });

  it('refuses a threshold outside 0..1', () => {
    assert.throws(() => checkPanicThreshold(1.5), /between 0 and 1/);
    assert.throws(() => checkPanicThreshold(Number.NaN), /between 0 and 1/);
    assert.equal(checkPanicThreshold(0.25), 0.25);
  });
});

describe('countFleet', () => {
  const o = (name: string, state: NodeObservation['state']): NodeObservation => ({
    name,
    state,
    stateSince: 0,
    addedAt: 0,
    cpu: null,
    rttMs: null,
    errorRate: null,
  });

  it('counts every node that is not deleted, across pools, and who went down since the previous pass', () => {
    const pools = [
      [o('jp-1', 'active'), o('jp-2', 'down'), o('jp-3', 'deleted')],
      [o('sg-1', 'down'), o('sg-2', 'unknown')],
    ];
    const { count, down } = countFleet(pools, new Set(['jp-2']));
    assert.deepEqual(count, { nodes: 4, down: 2, newlyDown: 1 });
    assert.deepEqual(down, ['jp-2', 'sg-1']);
  });

  it('counts every down node as newly down the first time it sees the service (a new leader cannot tell old from sudden)', () => {
    assert.deepEqual(countFleet([[o('jp-1', 'down'), o('jp-2', 'active'), o('jp-3', 'down')]], undefined).count, { nodes: 3, down: 2, newlyDown: 2 });
  });
});

// planPass on plain data: one service, 4 nodes in jp, autoscale and gtm both declared.
const names = ['jp-svc-1', 'jp-svc-2', 'jp-svc-3', 'jp-svc-4'];
const gtm: GtmPolicy = {
  service: 'svc',
  domain: 'svc.example',
  regions: [{ name: 'jp', weight: 100, min_ready_nodes: 1, fallback: true }],
  health: { type: 'http', path: '/healthz', port: 8080, interval: 5_000, timeout: 2_000, rise: 2, fall: 3 },
  latency: { rtt_threshold: 300, rtt_factor: 0.7, error_rate_threshold: 0.05, error_factor: 0.5 },
  dns: { provider: 'local', zone: 'example', ttl: 30 },
  global: { override_hold: 30 * M, min_change_interval: M },
};
const autoscale: AutoscalePolicy = {
  service: 'svc',
  global: {
    cpu_window: M,
    min_regions: 1,
    max_regions: 3,
    cooldown: 2 * M,
    scale_down_stabilization: 0,
    drain: M,
    replace_after: 5 * M,
    override_hold: 30 * M,
    on_missing_metrics: 'hold',
    provision_timeout: 10 * M,
  },
  regions: { jp: { min_nodes: 1, max_nodes: 10, scale_up_cpu: 0.7, scale_down_cpu: 0.3, scale_up_step: 1, scale_down_step: 1 } },
};
const jp: RegionDef = { name: 'jp', provider: 'local', node_template: 'containerd-only', labels: {} };
const declarations: Declarations = { gtm: { svc: gtm }, autoscale: { svc: autoscale }, regions: { jp }, stacks: {} };

/** A fleet whose node states and cpu a test sets; its passes follow each other, each from the memory the previous one left. */
function fleet(cpu: number) {
  const states = new Map<string, { state: NodeObservation['state']; since: number }>(names.map((n) => [n, { state: 'active', since: NOW - 60 * M }]));
  let memory = emptyMemory();
  /** Plans a pass at `now` on the fleet as it is, and keeps the memory it leaves. */
  const pass = (now: number, extra: Partial<PassInput> = {}): PassPlan => {
    const nodes = new Map<string, NodeObservation>();
    for (const [name, s] of states)
      nodes.set(name, {
        name,
        state: s.state,
        stateSince: s.since,
        addedAt: memory.firstSeen.get(name) ?? now,
        cpu: s.state === 'active' ? cpu : null,
        rttMs: null,
        errorRate: null,
      });
    const plan = planPass({
      now,
      declarations,
      pools: { jp: { svc: { weight: 100, nodes: [...names], excluded: [] } } },
      holds: new Set(),
      memory,
      nodes,
      metrics: new Map([['svc/jp', { nodes: 4, cpu, qps: 10, errorRate: null, rttMs: null }]]),
      highestOrdinal: new Map([['svc/jp', 4]]),
      ...extra,
    });
    memory = plan.nextMemory;
    return plan;
  };
  const set = (state: NodeObservation['state'], at: number, ...which: string[]): void => {
    for (const n of which) states.set(n, { state, since: at });
  };
  return { pass, set };
}

const kinds = (plan: ReturnType<typeof planPass>): string[] => plan.decisions.map((d) => `${d.controller}:${d.kind}`);

describe('planPass: self-protection', () => {
  it('freezes when 3 of 4 nodes go down at once: no exclusion, no weight cut, no scale-down, no replacement; resumes when they return', () => {
    // cpu 0.1 wants a scale-down, so a freeze has something to hold back.
    const f = fleet(0.1);
    const first = f.pass(NOW);
    assert.equal(first.services.svc?.frozen, null);
    assert.deepEqual(kinds(first), ['autoscale:scale_down'], 'before the outage the loop scales down as usual');

    f.set('down', NOW + M, 'jp-svc-1', 'jp-svc-2', 'jp-svc-3');
    const frozen = f.pass(NOW + M);
    assert.deepEqual(frozen.services.svc?.frozen, {
      reason: 'panic',
      since: NOW + M,
      detail: '3 of 4 nodes went down at once (more than panic_threshold 0.5)',
    });
    assert.deepEqual(kinds(frozen), [], 'nothing is taken away');
    assert.match(
      frozen.services.svc.gtm?.regions.jp?.reason ?? '',
      /frozen \(panic\): keeps 100, wants 25 \(ready 1\/4\); frozen \(panic\): not excluding jp-svc-1 \(down\), jp-svc-2 \(down\), jp-svc-3 \(down\)/,
    );
    assert.match(frozen.services.svc.autoscale?.regions.jp?.reason ?? '', /frozen \(panic\): not scaling down 4→3 \(cpu=0\.10\)/);

    // Past replace_after the down nodes would be replaced; frozen, they stay.
    const later = f.pass(NOW + 7 * M);
    assert.equal(later.services.svc?.frozen?.since, NOW + M, 'still the same freeze');
    assert.deepEqual(kinds(later), []);
    assert.match(
      later.services.svc.autoscale?.regions.jp?.reason ?? '',
      /not replacing jp-svc-1 \(down 6m\), not replacing jp-svc-2 \(down 6m\), not replacing jp-svc-3 \(down 6m\)/,
    );

    f.set('active', NOW + 8 * M, 'jp-svc-1', 'jp-svc-2');
    const back = f.pass(NOW + 8 * M);
    assert.equal(back.services.svc?.frozen, null, '1 of 4 down is below the threshold: resumed');
    assert.deepEqual(
      back.decisions.map((d) => d.summary),
      ['autoscale: svc jp 4→3 (cpu=0.10)'],
      'the held-back scale-down goes ahead, and takes the node still down first',
    );
    assert.deepEqual(back.drain, ['jp-svc-3']);
  });

  it('acts as usual when only 1 of 4 goes down', () => {
    const f = fleet(0.5);
    f.pass(NOW);
    f.set('down', NOW + M, 'jp-svc-4');
    const plan = f.pass(NOW + M);
    assert.equal(plan.services.svc?.frozen, null);
    assert.deepEqual(
      plan.decisions.map((d) => d.summary),
      ['gtm: svc jp weight 100→75 (ready 3/4)', 'gtm: svc jp exclude jp-svc-4 (down)'],
    );
  });

  it('still scales up and raises weights while frozen', () => {
    const f = fleet(0.9);
    f.pass(NOW);
    f.set('down', NOW + M, 'jp-svc-1', 'jp-svc-2', 'jp-svc-3');
    // The stack has jp at 10 (say, a human set it): the real health gives 25, and that may go up.
    const plan = f.pass(NOW + M, { pools: { jp: { svc: { weight: 10, nodes: [...names], excluded: [] } } } });
    assert.equal(plan.services.svc?.frozen?.reason, 'panic');
    assert.deepEqual(
      plan.decisions.map((d) => d.summary),
      ['autoscale: svc jp 4→5 (cpu=0.90)', 'gtm: svc jp weight 10→25 (ready 1/4)'],
      'up to what the real health gives, not to what down nodes would',
    );
  });

  it('lets latency lower a frozen region’s weight, but not its down nodes', () => {
    const f = fleet(0.5);
    f.pass(NOW);
    f.set('down', NOW + M, 'jp-svc-1', 'jp-svc-2', 'jp-svc-3');
    const plan = f.pass(NOW + M, { metrics: new Map([['svc/jp', { nodes: 1, cpu: 0.5, qps: 10, errorRate: null, rttMs: 450 }]]) });
    assert.deepEqual(
      plan.decisions.map((d) => d.summary),
      ['gtm: svc jp weight 100→70 (rtt=450ms > 300ms; frozen (panic): down nodes count as ready)'],
    );
  });

  it('freezes every service while the store is lost, and resumes when it is back', () => {
    const f = fleet(0.5);
    f.pass(NOW);
    f.set('down', NOW + M, 'jp-svc-4');
    const lost = f.pass(NOW + M, { health: { store: false, git: true, reason: 'connection refused' } });
    assert.deepEqual(lost.services.svc?.frozen, { reason: 'store', since: NOW + M, detail: 'the store is lost (connection refused)' });
    assert.deepEqual(kinds(lost), []);
    const back = f.pass(NOW + 2 * M);
    assert.equal(back.services.svc?.frozen, null);
    assert.deepEqual(kinds(back), ['gtm:weight', 'gtm:exclude']);
  });
});
