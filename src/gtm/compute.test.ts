import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GtmPolicy } from '../config/index.js';
import type { Decision, NodeObservation, PoolPatch, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { applyDecisions } from './apply.js';
import { computeGtm, type GtmInput } from './compute.js';
import { seedPolicy, pv, type State } from './test-fixtures.js';

const NOW = 1_700_000_000_000;

interface Opts {
  now?: number;
  policy?: GtmPolicy;
  metrics?: Record<string, RegionMetrics | 'stale'>;
  last?: Record<string, number | undefined>;
  holds?: string[];
}

/** jp: two active nodes at 100, sg: one active node at 10, unless a row says otherwise (undefined removes the entry). */
function input(pools: Partial<Record<'jp' | 'sg', PoolView | undefined>> = {}, o: Opts = {}): GtmInput {
  const all: Record<string, PoolView | undefined> = { jp: pv('jp', 100, ['active', 'active']), sg: pv('sg', 10, ['active']), ...pools };
  const defined: Record<string, PoolView> = {};
  for (const [region, view] of Object.entries(all)) if (view) defined[region] = view;
  return {
    now: o.now ?? NOW,
    policy: o.policy ?? seedPolicy(),
    pools: defined,
    metrics: o.metrics ?? {},
    lastWeightChange: o.last ?? {},
    holds: new Set(o.holds ?? []),
  };
}

const m = (rttMs: number | null, errorRate: number | null = null): RegionMetrics => ({ nodes: 2, cpu: 0.5, qps: 10, rttMs, errorRate });
const noPool: PoolView = { pool: undefined, nodes: [] };

interface Expected {
  kind: string;
  region: string;
  summary: string;
  patch: PoolPatch;
}
const shape = (ds: Decision[]): Expected[] => ds.map((d) => ({ kind: d.kind, region: d.region, summary: d.summary, patch: d.patch }));
const w = (region: string, summary: string, weight: number, extra: PoolPatch = {}): Expected => ({
  kind: 'weight',
  region,
  summary,
  patch: { weight, ...extra },
});
const ex = (kind: 'exclude' | 'include' | 'forget', region: string, summary: string, patch: PoolPatch): Expected => ({ kind, region, summary, patch });

// Every input of every table below, for the "apply, recompute → nothing to do" property.
const everyInput: [string, GtmInput][] = [];
function row<T extends { name: string; in: GtmInput }>(r: T): T {
  everyInput.push([r.name, r.in]);
  return r;
}

describe('computeGtm: weight factors', () => {
  // [name, region, states, metrics, policy, [health_ratio, ready_nodes_factor, latency_factor], computed]
  type FactorRow = { name: string; region: 'jp' | 'sg'; in: GtmInput; factors: [number, number, number]; computed: number };
  const f = (
    name: string,
    region: 'jp' | 'sg',
    states: State[],
    factors: [number, number, number],
    computed: number,
    metrics?: RegionMetrics | 'stale',
    policy?: GtmPolicy,
  ): FactorRow =>
    row({
      name,
      region,
      in: input({ [region]: pv(region, region === 'jp' ? 100 : 10, states) }, { metrics: metrics ? { [region]: metrics } : {}, ...(policy ? { policy } : {}) }),
      factors,
      computed,
    });
  const rows: FactorRow[] = [
    f('all nodes ready and no metrics gives the base weight', 'jp', ['active', 'active'], [1, 1, 1], 100),
    f('one of two ready halves the weight', 'jp', ['active', 'down'], [0.5, 1, 1], 50),
    f('two of three ready is 66.7% of base, quantized to 65', 'jp', ['active', 'active', 'down'], [2 / 3, 1, 1], 65),
    f('one of three ready is 33.3% of base, quantized to 35', 'jp', ['active', 'down', 'down'], [1 / 3, 1, 1], 35),
    f('a warm node (still joining) counts as neither desired nor ready', 'jp', ['active', 'warm'], [1, 1, 1], 100),
    f('an unregistered node (still joining) counts as neither desired nor ready', 'jp', ['active', 'unknown'], [1, 1, 1], 100),
    f('a draining node does not count as desired', 'jp', ['active', 'drain'], [1, 1, 1], 100),
    f('a deleted node does not count as desired', 'jp', ['active', 'deleted'], [1, 1, 1], 100),
    f('no ready node cuts the weight to 0 by min_ready_nodes', 'jp', ['down', 'down'], [0, 0, 1], 0),
    f('a pool with no nodes has health 0 and is cut', 'jp', [], [0, 0, 1], 0),
    f('ready below min_ready_nodes 2 is cut to 0', 'jp', ['active', 'down'], [0.5, 0, 1], 0, undefined, seedPolicy({ jp: { min_ready_nodes: 2 } })),
    f(
      'ready equal to min_ready_nodes 2 is not cut',
      'jp',
      ['active', 'active', 'down'],
      [2 / 3, 1, 1],
      65,
      undefined,
      seedPolicy({ jp: { min_ready_nodes: 2 } }),
    ),
    f('min_ready_nodes 0 with no nodes still has health 0', 'jp', [], [0, 1, 1], 0, undefined, seedPolicy({ jp: { min_ready_nodes: 0 } })),
    f('rtt above the threshold applies rtt_factor', 'jp', ['active', 'active'], [1, 1, 0.7], 70, m(412)),
    f('rtt exactly at the threshold is not above it', 'jp', ['active', 'active'], [1, 1, 1], 100, m(300)),
    f('rtt not reported counts as fine', 'jp', ['active', 'active'], [1, 1, 1], 100, m(null, null)),
    f('error rate above the threshold applies error_factor', 'jp', ['active', 'active'], [1, 1, 0.5], 50, m(null, 0.08)),
    f('error rate exactly at the threshold is not above it', 'jp', ['active', 'active'], [1, 1, 1], 100, m(null, 0.05)),
    f('rtt and error rate both high multiply', 'jp', ['active', 'active'], [1, 1, 0.35], 35, m(412, 0.08)),
    f('stale metrics are not bad metrics', 'jp', ['active', 'active'], [1, 1, 1], 100, 'stale'),
    f('half ready and slow is 35% of base', 'jp', ['active', 'down'], [0.5, 1, 0.7], 35, m(412)),
    f('two of three ready and slow is 46.7%, quantized to 45', 'jp', ['active', 'active', 'down'], [2 / 3, 1, 0.7], 45, m(412)),
    f('two of three ready, slow and failing is 23.3%, quantized to 25', 'jp', ['active', 'active', 'down'], [2 / 3, 1, 0.35], 25, m(412, 0.08)),
    f('base weight 0 is always 0', 'jp', ['active', 'active'], [1, 1, 1], 0, undefined, seedPolicy({ jp: { weight: 0 } })),
    f('base 10 with one of three ready is 7 steps of 0.5, 3.5, rounded to 4', 'sg', ['active', 'down', 'down'], [1 / 3, 1, 1], 4),
    f('base 10 with two of three ready is 13 steps, 6.5, rounded to 7', 'sg', ['active', 'active', 'down'], [2 / 3, 1, 1], 7),
    f('base 10 with one of four ready is 5 steps, 2.5, rounded to 3', 'sg', ['active', 'down', 'down', 'down'], [0.25, 1, 1], 3),
    f('base 10 slow is 7', 'sg', ['active'], [1, 1, 0.7], 7, m(412)),
    f('base 10 failing is 5', 'sg', ['active'], [1, 1, 0.5], 5, m(null, 0.08)),
    f('base 10 half ready and slow is 7 steps, 3.5, rounded to 4', 'sg', ['active', 'down'], [0.5, 1, 0.7], 4, m(412)),
    f('base 45 slow is 31.5, rounded up to 32 (no binary rounding error)', 'jp', ['active'], [1, 1, 0.7], 32, m(412), seedPolicy({ jp: { weight: 45 } })),
  ];
  for (const r of rows) {
    it(r.name, () => {
      const status = computeGtm(r.in).regions[r.region];
      const base = r.in.policy.regions.find((x) => x.name === r.region)?.weight;
      assert.deepEqual(status?.factors, { base, health_ratio: r.factors[0], ready_nodes_factor: r.factors[1], latency_factor: r.factors[2] });
      assert.equal(status.computed, r.computed);
      assert.ok(Number.isInteger(status.computed));
    });
  }

  it('counts ready and desired nodes in the status', () => {
    const status = computeGtm(input({ jp: pv('jp', 35, ['active', 'down', 'warm', 'drain', 'deleted', 'unknown']) })).regions.jp;
    assert.equal(status?.ready, 1);
    assert.equal(status.desired, 2, 'active and down nodes should serve; joining and leaving ones do not count');
  });

  it('treats a serving name with no observation as not registered yet: it serves on trust', () => {
    const view: PoolView = { pool: { weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: [] }, nodes: pv('jp', 100, ['active']).nodes };
    const result = computeGtm(input({ jp: view }));
    assert.deepEqual(result.decisions, []);
    assert.deepEqual(result.regions.jp?.unverified, [{ node: 'jp-svc-plus-2', state: 'unknown', since: NOW, until: NOW + 600_000 }]);
  });
});

describe('computeGtm: decisions and their commit lines', () => {
  type DecisionRow = { name: string; in: GtmInput; want: Expected[] };
  const rows: DecisionRow[] = [
    row({
      name: 'a region with no ready node leaves rotation',
      in: input({ sg: pv('sg', 10, ['down']) }),
      want: [w('sg', 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)', 0)],
    }),
    row({
      name: 'half the nodes ready halves the weight',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→50 (ready 1/2)', 50)],
    }),
    row({
      name: 'high rtt lowers the weight',
      in: input({}, { metrics: { jp: m(412) } }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→70 (rtt=412ms > 300ms)', 70)],
    }),
    row({
      name: 'a fractional rtt prints with one decimal',
      in: input({}, { metrics: { jp: m(300.44) } }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→70 (rtt=300.4ms > 300ms)', 70)],
    }),
    row({
      name: 'a high error rate lowers the weight',
      in: input({}, { metrics: { jp: m(120, 0.08) } }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→50 (errors=0.08 > 0.05)', 50)],
    }),
    row({
      name: 'several causes are all named',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }, { metrics: { jp: m(412, 0.1) } }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→20 (ready 1/2, rtt=412ms > 300ms, errors=0.1 > 0.05)', 20)],
    }),
    row({
      name: 'the min_ready_nodes cut is named alone, above other causes',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }, { metrics: { jp: m(412) }, policy: seedPolicy({ jp: { min_ready_nodes: 2 } }) }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→0 (ready 1 < min 2)', 0)],
    }),
    row({
      name: 'a recovered region comes back at its base weight',
      in: input({ jp: pv('jp', 0, ['active', 'active']) }),
      want: [w('jp', 'gtm: svc-plus jp weight 0→100 (ready 2/2)', 100)],
    }),
    row({
      name: 'a changed base weight is followed',
      in: input({}, { policy: seedPolicy({ jp: { weight: 120 } }) }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→120 (ready 2/2)', 120)],
    }),
    row({
      name: 'a base weight of 0 takes the region out and says so',
      in: input({}, { policy: seedPolicy({ sg: { weight: 0 } }) }),
      want: [w('sg', 'gtm: svc-plus sg weight 10→0 (base weight 0)', 0)],
    }),
    row({
      name: 'fallback brings a region with a ready node back when every region would be 0',
      in: input({ jp: pv('jp', 0, ['down']), sg: pv('sg', 0, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }),
      want: [w('sg', 'gtm: svc-plus sg weight 0→10 (fallback: every region would be 0)', 10)],
    }),
    row({
      name: 'a down node is excluded',
      in: input({ jp: pv('jp', 50, ['active', 'down'], []) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)', { excluded: ['jp-svc-plus-2'] })],
    }),
    row({
      name: 'a serving node warm for provision_timeout is excluded',
      in: input({ jp: pv('jp', 100, ['active', 'warm'], []) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (warm for 10m)', { excluded: ['jp-svc-plus-2'] })],
    }),
    row({
      name: 'a draining node is excluded',
      in: input({ jp: pv('jp', 100, ['active', 'drain'], []) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (drain)', { excluded: ['jp-svc-plus-2'] })],
    }),
    row({
      name: 'a serving node no agent registered under for provision_timeout is excluded',
      in: input({ jp: pv('jp', 100, ['active', 'unknown'], []) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (not registered for 10m)', { excluded: ['jp-svc-plus-2'] })],
    }),
    row({
      name: 'a deleted node is excluded',
      in: input({ jp: pv('jp', 100, ['active', 'deleted'], []) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (deleted)', { excluded: ['jp-svc-plus-2'] })],
    }),
    row({
      name: 'a node that became active is included',
      in: input({ jp: pv('jp', 100, ['active', 'active', 'active'], [3]) }),
      want: [ex('include', 'jp', 'gtm: svc-plus jp include jp-svc-plus-3 (active)', { excluded: [] })],
    }),
    row({
      name: 'an excluded name that is no longer in nodes is forgotten',
      in: input({ jp: pv('jp', 100, ['active', 'active'], ['jp-svc-plus-0']) }),
      want: [ex('forget', 'jp', 'gtm: svc-plus jp forget jp-svc-plus-0 (not in nodes)', { excluded: [] })],
    }),
    row({
      name: 'node changes come one per decision in nodes order, each patch cumulative',
      in: input({ jp: pv('jp', 65, ['down', 'active', 'warm', 'active'], [4]) }),
      want: [
        ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-1 (down)', { excluded: ['jp-svc-plus-1', 'jp-svc-plus-4'] }),
        ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-3 (warm for 10m)', { excluded: ['jp-svc-plus-1', 'jp-svc-plus-3', 'jp-svc-plus-4'] }),
        ex('include', 'jp', 'gtm: svc-plus jp include jp-svc-plus-4 (active)', { excluded: ['jp-svc-plus-1', 'jp-svc-plus-3'] }),
      ],
    }),
    row({
      name: 'a weight change and an exclusion in one pool share a cumulative patch',
      in: input({ sg: pv('sg', 10, ['down'], []) }),
      want: [
        w('sg', 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)', 0),
        ex('exclude', 'sg', 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)', { weight: 0, excluded: ['sg-svc-plus-1'] }),
      ],
    }),
    row({
      name: 'a written excluded list follows nodes order',
      in: input({ jp: pv('jp', 35, ['active', 'down', 'down'], [3]) }),
      want: [ex('exclude', 'jp', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)', { excluded: ['jp-svc-plus-2', 'jp-svc-plus-3'] })],
    }),
    row({
      name: 'an excluded list with the right names in another order is left alone',
      in: input({ jp: pv('jp', 35, ['active', 'down', 'down'], [3, 2]) }),
      want: [],
    }),
    row({ name: 'a healthy steady state decides nothing', in: input(), want: [] }),
    row({ name: 'a degraded steady state decides nothing', in: input({ jp: pv('jp', 35, ['active', 'down']) }, { metrics: { jp: m(412) } }), want: [] }),
    row({
      name: 'regions are decided in policy order',
      in: input({ jp: pv('jp', 100, ['active', 'down']), sg: pv('sg', 10, ['down']) }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→50 (ready 1/2)', 50), w('sg', 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)', 0)],
    }),
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(shape(computeGtm(r.in).decisions), r.want));

  it('marks every decision as the gtm controller for the service', () => {
    const { decisions } = computeGtm(input({ jp: pv('jp', 100, ['active', 'down'], []) }));
    assert.equal(decisions.length, 2);
    for (const d of decisions) {
      assert.equal(d.controller, 'gtm');
      assert.equal(d.service, 'svc-plus');
    }
  });

  it('puts the numbers behind a weight change in why', () => {
    const [d] = computeGtm(input({ jp: pv('jp', 100, ['active', 'active', 'down']) }, { metrics: { jp: m(412, 0.01) } })).decisions;
    assert.deepEqual(d?.why, {
      base: 100,
      ready: 2,
      desired: 3,
      min_ready_nodes: 1,
      health_ratio: 2 / 3,
      ready_nodes_factor: 1,
      latency_factor: 0.7,
      computed: 45,
      rtt_ms: 412,
      error_rate: 0.01,
      from: 100,
      to: 45,
      urgent: false,
    });
  });

  it('names the node and its state in an exclusion why', () => {
    const [d] = computeGtm(input({ jp: pv('jp', 100, ['active', 'unknown'], []) })).decisions;
    assert.deepEqual(d?.why, { node: 'jp-svc-plus-2', state: 'unknown' });
  });

  it('marks a fallback weight in why', () => {
    const [d] = computeGtm(input({ jp: pv('jp', 0, ['down']), sg: pv('sg', 0, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) })).decisions;
    assert.equal(d?.why.fallback, true);
    assert.equal(d.why.urgent, true);
  });
});

describe('computeGtm: never all-zero', () => {
  type FallbackRow = { name: string; in: GtmInput; want: Expected[]; weights: Record<string, number> };
  const rows: FallbackRow[] = [
    row({
      name: 'every fallback region with a ready node gets its base weight',
      in: input(
        { jp: pv('jp', 0, ['active', 'down']), sg: pv('sg', 0, ['active']) },
        { policy: seedPolicy({ jp: { min_ready_nodes: 2 }, sg: { min_ready_nodes: 2 } }) },
      ),
      want: [
        w('jp', 'gtm: svc-plus jp weight 0→100 (fallback: every region would be 0)', 100),
        w('sg', 'gtm: svc-plus sg weight 0→10 (fallback: every region would be 0)', 10),
      ],
      weights: { jp: 100, sg: 10 },
    }),
    row({
      name: 'a region without fallback stays out even when every region is 0',
      in: input({ jp: pv('jp', 0, ['down']), sg: pv('sg', 0, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2, fallback: false } }) }),
      want: [],
      weights: { jp: 0, sg: 0 },
    }),
    row({
      name: 'a fallback region with no ready node stays out',
      in: input({ jp: pv('jp', 10, ['down']), sg: pv('sg', 0, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2, fallback: false } }) }),
      want: [w('jp', 'gtm: svc-plus jp weight 10→0 (ready 0 < min 1)', 0)],
      weights: { jp: 0, sg: 0 },
    }),
    row({
      name: 'a fallback region already at base is left there',
      in: input({ jp: pv('jp', 0, ['down']), sg: pv('sg', 10, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }),
      want: [],
      weights: { jp: 0, sg: 10 },
    }),
    row({
      name: 'no fallback while another region is in rotation',
      in: input({ sg: pv('sg', 10, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }),
      want: [w('sg', 'gtm: svc-plus sg weight 10→0 (ready 1 < min 2)', 0)],
      weights: { jp: 100, sg: 0 },
    }),
    row({
      name: 'fallback replaces a degraded weight with the base weight',
      in: input(
        { jp: pv('jp', 0, ['down']), sg: pv('sg', 5, ['active', 'down']) },
        { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }), last: { sg: NOW - 120_000 } },
      ),
      want: [w('sg', 'gtm: svc-plus sg weight 5→10 (fallback: every region would be 0)', 10)],
      weights: { jp: 0, sg: 10 },
    }),
  ];
  for (const r of rows) {
    it(r.name, () => {
      const result = computeGtm(r.in);
      assert.deepEqual(shape(result.decisions), r.want);
      assert.deepEqual({ jp: result.regions.jp?.weight, sg: result.regions.sg?.weight }, r.weights);
      assert.equal(result.alert, null);
    });
  }

  it('says fallback in the status reason, and keeps the factor result as computed', () => {
    const status = computeGtm(input({ jp: pv('jp', 0, ['down']), sg: pv('sg', 10, ['active']) }, { policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }))
      .regions.sg;
    assert.equal(status?.reason, 'fallback: every region would be 0');
    assert.equal(status.computed, 0);
    assert.equal(status.weight, 10);
  });
});

describe('computeGtm: fail static when no region has a ready node', () => {
  type StaticRow = { name: string; in: GtmInput };
  const rows: StaticRow[] = [
    row({ name: 'every node down', in: input({ jp: pv('jp', 100, ['down', 'down'], []), sg: pv('sg', 10, ['down'], []) }) }),
    row({ name: 'a fresh service whose nodes have not registered yet', in: input({ jp: pv('jp', 0, ['unknown', 'warm'], []), sg: pv('sg', 0, []) }) }),
    row({ name: 'a region without a pool is not created either', in: input({ jp: pv('jp', 0, []), sg: undefined }) }),
    row({ name: 'nodes only draining', in: input({ jp: pv('jp', 100, ['drain'], []), sg: pv('sg', 10, ['deleted']) }) }),
  ];
  for (const r of rows) {
    it(`${r.name}: no decisions and an alert`, () => {
      const result = computeGtm(r.in);
      assert.deepEqual(result.decisions, []);
      assert.equal(result.alert, 'no_ready_nodes');
    });
  }

  it('reports the weights and exclusions in force, and says why', () => {
    const result = computeGtm(input({ jp: pv('jp', 100, ['down', 'down'], [1]), sg: pv('sg', 10, ['down'], []) }));
    assert.deepEqual(result.regions.jp, {
      weight: 100,
      computed: 0,
      factors: { base: 100, health_ratio: 0, ready_nodes_factor: 0, latency_factor: 1 },
      ready: 0,
      desired: 2,
      excluded: ['jp-svc-plus-1'],
      held: false,
      unverified: [],
      reason: 'fail static: no region has a ready node, weights and exclusions left as they are (ready 0/2)',
    });
    assert.equal(result.regions.sg?.reason, 'fail static: no region has a ready node, weights and exclusions left as they are (ready 0/1)');
    assert.equal(result.regions.sg.weight, 10);
  });

  it('acts again as soon as one node anywhere is ready', () => {
    const result = computeGtm(input({ jp: pv('jp', 100, ['down', 'down'], []), sg: pv('sg', 10, ['active']) }));
    assert.equal(result.alert, null);
    assert.deepEqual(
      result.decisions.map((d) => d.summary),
      ['gtm: svc-plus jp weight 100→0 (ready 0 < min 1)', 'gtm: svc-plus jp exclude jp-svc-plus-1 (down)', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)'],
    );
  });
});

describe('computeGtm: no flapping', () => {
  type RateRow = { name: string; in: GtmInput; want: string[]; weight: number };
  const rows: RateRow[] = [
    row({ name: 'a change within min_change_interval waits', in: input({}, { metrics: { jp: m(412) }, last: { jp: NOW - 10_000 } }), want: [], weight: 100 }),
    row({
      name: 'a change applies once min_change_interval has passed exactly',
      in: input({}, { metrics: { jp: m(412) }, last: { jp: NOW - 60_000 } }),
      want: ['gtm: svc-plus jp weight 100→70 (rtt=412ms > 300ms)'],
      weight: 70,
    }),
    row({
      name: 'a change applies when the last change is not known',
      in: input({}, { metrics: { jp: m(412) } }),
      want: ['gtm: svc-plus jp weight 100→70 (rtt=412ms > 300ms)'],
      weight: 70,
    }),
    row({ name: 'an upward change waits too', in: input({ jp: pv('jp', 50, ['active', 'active']) }, { last: { jp: NOW - 30_000 } }), want: [], weight: 50 }),
    row({
      name: 'another region’s last change does not hold this one back',
      in: input({}, { metrics: { jp: m(412) }, last: { sg: NOW - 1_000 } }),
      want: ['gtm: svc-plus jp weight 100→70 (rtt=412ms > 300ms)'],
      weight: 70,
    }),
    row({
      name: 'leaving rotation is urgent',
      in: input({ sg: pv('sg', 10, ['down']) }, { last: { sg: NOW - 1_000 } }),
      want: ['gtm: svc-plus sg weight 10→0 (ready 0 < min 1)'],
      weight: 100,
    }),
    row({
      name: 'coming back into rotation is urgent',
      in: input({ jp: pv('jp', 0, ['active', 'active']) }, { last: { jp: NOW - 1_000 } }),
      want: ['gtm: svc-plus jp weight 0→100 (ready 2/2)'],
      weight: 100,
    }),
    row({
      name: 'exclusions do not wait for the weight',
      in: input({ jp: pv('jp', 100, ['active', 'down'], []) }, { last: { jp: NOW - 1_000 } }),
      want: ['gtm: svc-plus jp exclude jp-svc-plus-2 (down)'],
      weight: 100,
    }),
    row({
      name: 'a last change in the future (clock skew) waits',
      in: input({}, { metrics: { jp: m(412) }, last: { jp: NOW + 5_000 } }),
      want: [],
      weight: 100,
    }),
  ];
  for (const r of rows) {
    it(r.name, () => {
      const result = computeGtm(r.in);
      assert.deepEqual(
        result.decisions.map((d) => d.summary),
        r.want,
      );
      assert.equal(result.regions.jp?.weight, r.weight);
    });
  }

  it('says in the status what a waiting region waits for', () => {
    const status = computeGtm(input({}, { metrics: { jp: m(412) }, last: { jp: NOW - 10_000 } })).regions.jp;
    assert.equal(status?.reason, 'waiting: last change 10s ago < min_change_interval 1m; keeps 100, wants 70 (rtt=412ms > 300ms)');
    assert.equal(status.computed, 70);
  });

  it('marks an urgent change in why', () => {
    const [d] = computeGtm(input({ sg: pv('sg', 10, ['down']) })).decisions;
    assert.equal(d?.why.urgent, true);
  });

  // 100 passes 10 s apart with jp's rtt at 310 ms, then 290 ms, then 310 ms… (threshold 300 ms).
  function oscillate(minChangeInterval: number): number {
    const policy = { ...seedPolicy(), global: { override_hold: 1_800_000, min_change_interval: minChangeInterval } };
    let view = pv('jp', 100, ['active', 'active']);
    let last: number | undefined;
    let changes = 0;
    for (let i = 0; i < PASSES; i++) {
      const now = NOW + i * STEP;
      const result = computeGtm({
        now,
        policy,
        pools: { jp: view, sg: pv('sg', 10, ['active']) },
        metrics: { jp: m(i % 2 === 0 ? 310 : 290) },
        lastWeightChange: { jp: last },
        holds: new Set(),
      });
      const jpChanges = result.decisions.filter((d) => d.region === 'jp' && d.kind === 'weight');
      if (jpChanges.length > 0) {
        changes += jpChanges.length;
        last = now;
      }
      view = { ...view, pool: applyDecisions({ jp: view.pool }, result.decisions).jp };
    }
    return changes;
  }
  const PASSES = 100;
  const STEP = 10_000;

  it('bounds the weight changes of an rtt oscillating around the threshold every pass by one per min_change_interval', () => {
    const changes = oscillate(60_000);
    const bound = Math.ceil((PASSES * STEP) / 60_000);
    assert.ok(changes > 1, `expected the weight to follow the rtt now and then, saw ${changes} changes`);
    assert.ok(changes <= bound, `${changes} weight changes > ${bound}`);
  });

  it('would change the weight on every pass of that oscillation without min_change_interval', () => {
    assert.equal(oscillate(0), PASSES);
  });
});

describe('computeGtm: human-override holds', () => {
  type HoldRow = { name: string; in: GtmInput; want: string[]; held: Record<string, boolean> };
  const rows: HoldRow[] = [
    row({
      name: 'a held weight gets no decision',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }, { holds: ['jp:weight'] }),
      want: [],
      held: { jp: true, sg: false },
    }),
    row({
      name: 'a held excluded list gets no decision but the weight still moves',
      in: input({ jp: pv('jp', 100, ['active', 'down'], []) }, { holds: ['jp:excluded'] }),
      want: ['gtm: svc-plus jp weight 100→50 (ready 1/2)'],
      held: { jp: true, sg: false },
    }),
    row({
      name: 'a held weight does not stop exclusions',
      in: input({ jp: pv('jp', 100, ['active', 'down'], []) }, { holds: ['jp:weight'] }),
      want: ['gtm: svc-plus jp exclude jp-svc-plus-2 (down)'],
      held: { jp: true, sg: false },
    }),
    row({
      name: 'both keys held means nothing for that region',
      in: input({ jp: pv('jp', 100, ['active', 'down'], []) }, { holds: ['jp:weight', 'jp:excluded'] }),
      want: [],
      held: { jp: true, sg: false },
    }),
    row({
      name: 'a hold on one region leaves the others alone',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }, { holds: ['sg:weight'] }),
      want: ['gtm: svc-plus jp weight 100→50 (ready 1/2)'],
      held: { jp: false, sg: true },
    }),
    row({
      name: 'a hold on a key gtm does not own changes nothing',
      in: input({ jp: pv('jp', 100, ['active', 'down']) }, { holds: ['jp:nodes'] }),
      want: ['gtm: svc-plus jp weight 100→50 (ready 1/2)'],
      held: { jp: false, sg: false },
    }),
    row({
      name: 'a region held in rotation means no fallback is needed',
      in: input({ jp: pv('jp', 100, ['down']), sg: pv('sg', 0, ['active']) }, { holds: ['jp:weight'], policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }),
      want: [],
      held: { jp: true, sg: false },
    }),
    row({
      name: 'a region held out of rotation does not prevent fallback',
      in: input({ jp: pv('jp', 0, ['active']), sg: pv('sg', 0, ['active']) }, { holds: ['jp:weight'], policy: seedPolicy({ sg: { min_ready_nodes: 2 } }) }),
      want: ['gtm: svc-plus sg weight 0→10 (fallback: every region would be 0)'],
      held: { jp: true, sg: false },
    }),
  ];
  for (const r of rows) {
    it(r.name, () => {
      const result = computeGtm(r.in);
      assert.deepEqual(
        result.decisions.map((d) => d.summary),
        r.want,
      );
      assert.deepEqual({ jp: result.regions.jp?.held, sg: result.regions.sg?.held }, r.held);
    });
  }

  it('shows the held weight and what the factors would give', () => {
    const status = computeGtm(input({ jp: pv('jp', 100, ['active', 'down']) }, { holds: ['jp:weight'] })).regions.jp;
    assert.equal(status?.weight, 100);
    assert.equal(status.computed, 50);
    assert.equal(status.reason, 'held by a human override at 100 (wants 50: ready 1/2)');
  });

  it('shows the held excluded list as it is', () => {
    const status = computeGtm(input({ jp: pv('jp', 50, ['active', 'down'], []) }, { holds: ['jp:excluded'] })).regions.jp;
    assert.deepEqual(status?.excluded, []);
    assert.equal(status.reason, 'ready 1/2; excluded held by a human override');
  });
});

describe('computeGtm: pool creation', () => {
  const created: Expected = {
    kind: 'create_pool',
    region: 'sg',
    summary: 'gtm: svc-plus sg create pool weight 0 (not in the stack yet)',
    patch: { weight: 0, nodes: [], excluded: [] },
  };
  type CreateRow = { name: string; in: GtmInput; want: Expected[] };
  const rows: CreateRow[] = [
    row({ name: 'a stack without a pool for the service gets one', in: input({ sg: noPool }), want: [created] }),
    row({ name: 'a region missing from the pools input gets a pool', in: input({ sg: undefined }), want: [created] }),
    row({
      name: 'a pool is created next to other regions’ changes',
      in: input({ jp: pv('jp', 100, ['active', 'down']), sg: noPool }),
      want: [w('jp', 'gtm: svc-plus jp weight 100→50 (ready 1/2)', 50), created],
    }),
    row({ name: 'a pool a human removed (its keys held) is not recreated', in: input({ sg: noPool }, { holds: ['sg:weight', 'sg:excluded'] }), want: [] }),
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(shape(computeGtm(r.in).decisions), r.want));

  it('reports a created pool in the status', () => {
    const status = computeGtm(input({ sg: noPool })).regions.sg;
    assert.deepEqual(status, {
      weight: 0,
      computed: 0,
      factors: { base: 10, health_ratio: 0, ready_nodes_factor: 0, latency_factor: 1 },
      ready: 0,
      desired: 0,
      excluded: [],
      held: false,
      unverified: [],
      reason: 'pool created (ready 0 < min 1)',
    });
  });
});

describe('computeGtm: exclusion needs evidence (contract §3)', () => {
  const MIN = 60_000;
  /** A node of `region` in `state`, first seen `addedAgo` before NOW, in that state since `sinceAgo` before NOW. */
  const node = (name: string, state: State, addedAgo: number, sinceAgo = addedAgo, loaded = false): NodeObservation => ({
    name,
    state,
    stateSince: state === 'unknown' ? null : NOW - sinceAgo,
    addedAt: NOW - addedAgo,
    ...(loaded ? { loaded: true } : {}),
    cpu: null,
    rttMs: null,
    errorRate: null,
  });
  const view = (weight: number, observations: NodeObservation[], excluded: string[] = []): PoolView => ({
    pool: { weight, nodes: observations.map((o) => o.name), excluded },
    nodes: observations,
  });
  type EvidenceRow = { name: string; in: GtmInput; want: string[] };
  const rows: EvidenceRow[] = [
    row({
      name: 'a serving node not registered yet keeps serving',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'unknown', 9 * MIN)]) }),
      want: [],
    }),
    row({
      name: 'a serving node warm (an agent that restarted) keeps serving while it proves itself',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'warm', 30 * MIN, 5_000)]) }),
      want: [],
    }),
    row({
      name: 'a region whose serving nodes are all unknown keeps its weight',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'unknown', 0), node('jp-svc-plus-2', 'unknown', 0)]) }),
      want: [],
    }),
    row({
      name: 'a region whose serving nodes are all warm keeps its weight',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'warm', 0), node('jp-svc-plus-2', 'warm', 0)]) }),
      want: [],
    }),
    row({
      name: 'a serving node down only in the store’s word from before this term keeps serving',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'down', 0, 60 * MIN, true)]) }),
      want: [],
    }),
    row({
      name: 'an excluded node down in the store’s word stays out and still counts as down',
      in: input({ jp: view(50, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'down', 0, 60 * MIN, true)], ['jp-svc-plus-2']) }),
      want: [],
    }),
    row({
      name: 'a new name (excluded, not registered) stays out until it is active',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'warm', MIN)], ['jp-svc-plus-2']) }),
      want: [],
    }),
    row({
      name: 'after provision_timeout a region whose nodes never registered leaves rotation, saying why',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'unknown', 10 * MIN), node('jp-svc-plus-2', 'unknown', 10 * MIN)]) }),
      want: [
        'gtm: svc-plus jp weight 100→0 (ready 0 < min 1)',
        'gtm: svc-plus jp exclude jp-svc-plus-1 (not registered for 10m)',
        'gtm: svc-plus jp exclude jp-svc-plus-2 (not registered for 10m)',
      ],
    }),
    row({
      name: 'the trust window is provision_timeout',
      in: { ...input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'unknown', 2 * MIN)]) }), trustMs: 2 * MIN },
      want: ['gtm: svc-plus jp exclude jp-svc-plus-2 (not registered for 2m)'],
    }),
    row({
      name: 'a warm node counts from when it became warm, not from when the name appeared',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'warm', 60 * MIN, 11 * MIN)]) }),
      want: ['gtm: svc-plus jp exclude jp-svc-plus-2 (warm for 10m)'],
    }),
    row({
      name: 'a serving node seen to fail leaves at once',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'active', 0), node('jp-svc-plus-2', 'down', 0, 1_000)]) }),
      want: ['gtm: svc-plus jp weight 100→50 (ready 1/2)', 'gtm: svc-plus jp exclude jp-svc-plus-2 (down)'],
    }),
    row({
      name: 'a weight falls for a down node only as far as it would with the unverified ones ready',
      in: input({ jp: view(100, [node('jp-svc-plus-1', 'unknown', 0), node('jp-svc-plus-2', 'down', 0, 1_000)]) }),
      want: [
        'gtm: svc-plus jp weight 100→50 (ready 1/2, counting 1 serving on trust (jp-svc-plus-1) as ready)',
        'gtm: svc-plus jp exclude jp-svc-plus-2 (down)',
      ],
    }),
  ];
  for (const r of rows) {
    it(r.name, () => {
      assert.deepEqual(
        computeGtm(r.in).decisions.map((d) => d.summary),
        r.want,
      );
    });
  }

  it('shows the nodes serving on trust, and how long each may stay, in the status', () => {
    const result = computeGtm(input({ jp: view(100, [node('jp-svc-plus-1', 'unknown', 4 * MIN), node('jp-svc-plus-2', 'warm', 9 * MIN, 1_000)]) }));
    assert.deepEqual(result.regions.jp?.unverified, [
      { node: 'jp-svc-plus-1', state: 'unknown', since: NOW - 4 * MIN, until: NOW + 6 * MIN },
      { node: 'jp-svc-plus-2', state: 'warm', since: NOW - 1_000, until: NOW - 1_000 + 10 * MIN },
    ]);
    assert.equal(result.regions.jp.weight, 100);
    assert.match(result.regions.jp.reason, /^keeps 100: 2 serving on trust \(jp-svc-plus-1, jp-svc-plus-2\); wants 0/);
  });
});

describe('computeGtm: apply the decisions, recompute → nothing left to do', () => {
  for (const [name, first] of everyInput) {
    it(name, () => {
      const result = computeGtm(first);
      const before: Record<string, PoolView['pool']> = {};
      for (const region of first.policy.regions) before[region.name] = first.pools[region.name]?.pool;
      const after = applyDecisions(before, result.decisions);
      const pools: Record<string, PoolView> = {};
      for (const region of first.policy.regions) {
        pools[region.name] = { pool: after[region.name], nodes: first.pools[region.name]?.nodes ?? [] };
      }
      const again = computeGtm({ ...first, pools });
      assert.deepEqual(again.decisions, []);
      assert.equal(again.alert, result.alert);
      for (const [region, status] of Object.entries(result.regions)) {
        assert.equal(again.regions[region]?.weight, status.weight, `${region} weight`);
        assert.deepEqual(again.regions[region].excluded, status.excluded, `${region} excluded`);
        const pool = after[region];
        if (pool && !first.holds.has(`${region}:excluded`) && result.alert === null) {
          for (const name of pool.excluded) assert.ok(pool.nodes.includes(name), `${region}: excluded ${name} is not in nodes`);
        }
      }
    });
  }
});
