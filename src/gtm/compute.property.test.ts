import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { GtmPolicy, GtmRegion, Pool } from '../config/index.js';
import type { NodeObservation, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { applyDecisions } from './apply.js';
import { computeGtm, type GtmInput } from './compute.js';
import { nodeName, obs, seedPolicy } from './test-fixtures.js';

const REGIONS = ['jp', 'sg', 'us'] as const;
const NOW = 1_700_000_000_000;
const INTERVAL = 60_000;
const state = fc.constantFrom<NodeObservation['state']>('active', 'active', 'warm', 'down', 'drain', 'deleted', 'unknown');

const regionArb = (name: string): fc.Arbitrary<GtmRegion> =>
  fc.record({ name: fc.constant(name), weight: fc.integer({ min: 0, max: 200 }), min_ready_nodes: fc.integer({ min: 0, max: 3 }), fallback: fc.boolean() });

const viewArb = (region: string): fc.Arbitrary<PoolView> =>
  fc
    .option(
      fc.record({
        weight: fc.integer({ min: 0, max: 200 }),
        states: fc.array(state, { maxLength: 5 }),
        excludedPick: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }),
      }),
      { nil: undefined },
    )
    .map((p): PoolView => {
      if (!p) return { pool: undefined, nodes: [] };
      const nodes = p.states.map((_, i) => nodeName(region, i + 1));
      // Excluded may name nodes in any order and names no longer in nodes (index beyond the list).
      const excluded = [...new Set(p.excludedPick.map((i) => nodeName(region, i + 1)))];
      return { pool: { weight: p.weight, nodes, excluded }, nodes: nodes.map((n, i) => obs(n, p.states[i] ?? 'unknown')) };
    });

const metricsArb: fc.Arbitrary<RegionMetrics | 'stale'> = fc.oneof(
  fc.constant<'stale'>('stale'),
  fc.record({
    nodes: fc.constant(1),
    cpu: fc.constant(0.5),
    qps: fc.constant(10),
    rttMs: fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
    errorRate: fc.option(fc.double({ min: 0, max: 0.2, noNaN: true }), { nil: null }),
  }),
);

const inputArb: fc.Arbitrary<GtmInput> = fc
  .record({
    regions: fc.tuple(...REGIONS.map(regionArb)),
    views: fc.tuple(...REGIONS.map(viewArb)),
    metrics: fc.tuple(...REGIONS.map(() => metricsArb)),
    ago: fc.tuple(...REGIONS.map(() => fc.option(fc.integer({ min: 0, max: 2 * INTERVAL }), { nil: undefined }))),
    holds: fc.subarray(REGIONS.flatMap((r) => [`${r}:weight`, `${r}:excluded`, `${r}:nodes`])),
  })
  .map(({ regions, views, metrics, ago, holds }): GtmInput => {
    const policy: GtmPolicy = { ...seedPolicy(), regions: [...regions], global: { override_hold: 1_800_000, min_change_interval: INTERVAL } };
    const by = <T>(values: readonly T[]): Record<string, T> => Object.fromEntries(REGIONS.map((r, i) => [r, values[i] as T]));
    return {
      now: NOW,
      policy,
      pools: by(views),
      metrics: by(metrics),
      lastWeightChange: by(ago.map((a) => (a === undefined ? undefined : NOW - a))),
      holds: new Set(holds),
    };
  });

function poolsOf(input: GtmInput): Record<string, Pool | undefined> {
  return Object.fromEntries(REGIONS.map((r) => [r, input.pools[r]?.pool]));
}

const isReady = (view: PoolView | undefined): boolean => (view?.pool?.nodes ?? []).some((n) => view?.nodes.find((o) => o.name === n)?.state === 'active');

describe('computeGtm properties', () => {
  it('decides nothing more after its own decisions are applied', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const first = computeGtm(input);
        const after = applyDecisions(poolsOf(input), first.decisions);
        const pools: Record<string, PoolView> = Object.fromEntries(REGIONS.map((r) => [r, { pool: after[r], nodes: input.pools[r]?.nodes ?? [] }]));
        assert.deepEqual(computeGtm({ ...input, pools }).decisions, []);
      }),
      { numRuns: 2000 },
    );
  });

  it('fails static exactly when no region has a ready node', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = computeGtm(input);
        const anyReady = REGIONS.some((r) => isReady(input.pools[r]));
        assert.equal(result.alert, anyReady ? null : 'no_ready_nodes');
        if (!anyReady) assert.deepEqual(result.decisions, []);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes excluded as exactly the non-active names of nodes, in nodes order, unless held', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = computeGtm(input);
        if (result.alert) return;
        const after = applyDecisions(poolsOf(input), result.decisions);
        for (const r of REGIONS) {
          const view = input.pools[r];
          const pool = after[r];
          if (!pool || input.holds.has(`${r}:excluded`)) continue;
          const want = pool.nodes.filter((n) => view?.nodes.find((o) => o.name === n)?.state !== 'active');
          const had = view?.pool?.excluded ?? [];
          // Unchanged sets keep their written order; any change rewrites in nodes order.
          if (new Set(had).size === want.length && want.every((n) => had.includes(n))) assert.deepEqual(new Set(pool.excluded), new Set(want));
          else assert.deepEqual(pool.excluded, want);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('writes integer weights between 0 and base, and never nodes except when creating a pool', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const d of computeGtm(input).decisions) {
          const base = input.policy.regions.find((x) => x.name === d.region)?.weight ?? -1;
          assert.match(d.summary, new RegExp(`^gtm: svc-plus ${d.region} `));
          if (d.patch.weight !== undefined) {
            assert.ok(Number.isInteger(d.patch.weight) && d.patch.weight >= 0 && d.patch.weight <= base, d.summary);
          }
          if (d.kind !== 'create_pool') assert.equal(d.patch.nodes, undefined, d.summary);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('changes a weight that stays in rotation only after min_change_interval', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const d of computeGtm(input).decisions) {
          if (d.kind !== 'weight') continue;
          const from = input.pools[d.region]?.pool?.weight ?? 0;
          const to = d.patch.weight ?? 0;
          const last = input.lastWeightChange[d.region];
          if (from > 0 && to > 0) assert.ok(last === undefined || input.now - last >= INTERVAL, d.summary);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps some region in rotation when a fallback region has a ready node', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = computeGtm(input);
        const rescuer = input.policy.regions.some((g) => g.fallback && g.weight > 0 && !input.holds.has(`${g.name}:weight`) && isReady(input.pools[g.name]));
        if (!rescuer) return;
        assert.ok(
          Object.values(result.regions).some((s) => s.weight > 0),
          JSON.stringify(result.regions),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
