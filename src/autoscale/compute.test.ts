import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AutoscaleGlobal, AutoscalePolicy, AutoscaleRegion, RegionDef } from '../config/index.js';
import type { NodeObservation, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { computeAutoscale, isScaleChange, type AutoscaleInput, type AutoscaleResult } from './compute.js';
import { nameOrdinal } from './node-names.js';

// Policies are plain data shaped like platform-config/autoscale/svc-plus.yaml and
// platform-config/regions/*.yaml after validation (durations in ms).
const S = 1_000;
const M = 60 * S;
const NOW = 1_700_000_000_000;

const GLOBAL: AutoscaleGlobal = {
  cpu_window: 60 * S,
  min_regions: 1,
  max_regions: 3,
  cooldown: 120 * S,
  scale_down_stabilization: 300 * S,
  drain: 60 * S,
  replace_after: 5 * M,
  override_hold: 30 * M,
  on_missing_metrics: 'hold',
  provision_timeout: 10 * M,
};
const JP: AutoscaleRegion = { min_nodes: 1, max_nodes: 5, scale_up_cpu: 0.7, scale_down_cpu: 0.3, scale_up_step: 1, scale_down_step: 1 };
const SG: AutoscaleRegion = { min_nodes: 0, max_nodes: 5, scale_up_cpu: 0.6, scale_down_cpu: 0.25, scale_up_step: 1, scale_down_step: 1 };
const US: AutoscaleRegion = { ...SG };

function regionDef(name: string, cost: number | undefined, maxNodes = 20): RegionDef {
  const def: RegionDef = {
    name,
    provider: 'aws',
    location: `${name}-1`,
    instance_type: 't3.small',
    node_template: 'containerd-only',
    labels: { tier: 'general' },
  };
  if (cost !== undefined) def.cost_per_node_hour = cost;
  def.max_nodes = maxNodes;
  return def;
}
const DEFS: Record<string, RegionDef> = { jp: regionDef('jp', 0.0208), sg: regionDef('sg', 0.0264), us: regionDef('us', 0.01), eu: regionDef('eu', undefined) };

function policy(global: Partial<AutoscaleGlobal> = {}, regions: Record<string, Partial<AutoscaleRegion>> = {}): AutoscalePolicy {
  const base: Record<string, AutoscaleRegion> = { jp: JP, sg: SG };
  const out: Record<string, AutoscaleRegion> = {};
  for (const [name, rule] of Object.entries({ ...base, ...regions })) out[name] = { ...(base[name] ?? US), ...rule };
  return { service: 'svc-plus', global: { ...GLOBAL, ...global }, regions: out };
}

interface NodeOpts {
  since?: number;
  added?: number;
  cpu?: number | null;
}
/** An observation of `<region>-svc-plus-<n>`; the region is the name's prefix. */
function node(name: string, state: NodeObservation['state'], o: NodeOpts = {}): NodeObservation {
  const active = state === 'active';
  return {
    name,
    state,
    stateSince: state === 'unknown' ? null : (o.since ?? NOW - 60 * M),
    addedAt: o.added ?? NOW - 60 * M,
    cpu: o.cpu === undefined ? (active ? 0.5 : null) : o.cpu,
    rttMs: null,
    errorRate: null,
  };
}
const n = (region: string, i: number): string => `${region}-svc-plus-${i}`;
const actives = (region: string, ...ids: number[]): NodeObservation[] => ids.map((i) => node(n(region, i), 'active'));

function pool(obs: NodeObservation[], excluded: string[] = [], weight = 100): PoolView {
  return { pool: { weight, nodes: obs.map((o) => o.name), excluded }, nodes: obs };
}
function cpu(value: number): RegionMetrics {
  return { nodes: 1, cpu: value, qps: 10, errorRate: null, rttMs: null };
}

function input(over: Partial<AutoscaleInput> = {}): AutoscaleInput {
  const base: AutoscaleInput = {
    now: NOW,
    policy: policy(),
    regionDefs: DEFS,
    pools: { jp: pool(actives('jp', 1, 2)), sg: { pool: undefined, nodes: [] } },
    metrics: { jp: cpu(0.5), sg: 'stale' },
    otherServicesNodes: {},
    lastChange: {},
    scaleDownSince: {},
    maxOrdinal: {},
    holds: new Set(),
    drainMs: 60 * S,
  };
  const merged = { ...base, ...over };
  // Unless a row says otherwise, the registry has seen every name the pools hold.
  if (!over.maxOrdinal) {
    const max: Record<string, number> = {};
    for (const [region, view] of Object.entries(merged.pools)) {
      for (const name of view.pool?.nodes ?? []) max[region] = Math.max(max[region] ?? 0, nameOrdinal(name) ?? 0);
    }
    merged.maxOrdinal = max;
  }
  return merged;
}

/** What the executor does with a result: write the patches, drain the victims, delete the removed, start cooldowns. Time does not move. */
function apply(inp: AutoscaleInput, res: AutoscaleResult): AutoscaleInput {
  const pools: Record<string, PoolView> = { ...inp.pools };
  const lastChange = { ...inp.lastChange };
  const maxOrdinal = { ...inp.maxOrdinal };
  const obsByName = new Map<string, NodeObservation>();
  for (const v of Object.values(inp.pools)) for (const o of v.nodes) obsByName.set(o.name, o);
  for (const name of res.drain) {
    const o = obsByName.get(name);
    if (o) obsByName.set(name, { ...o, state: 'drain', stateSince: inp.now });
  }
  for (const d of res.decisions) {
    const old = pools[d.region]?.pool;
    const nodes = d.patch.nodes ?? old?.nodes ?? [];
    const excluded = d.patch.excluded ?? old?.excluded ?? [];
    pools[d.region] = { pool: { weight: old?.weight ?? 0, nodes, excluded }, nodes: [] };
    if (isScaleChange(d)) lastChange[d.region] = inp.now;
  }
  for (const [region, view] of Object.entries(pools)) {
    view.nodes = (view.pool?.nodes ?? []).map(
      (name) => obsByName.get(name) ?? { name, state: 'unknown', stateSince: null, addedAt: inp.now, cpu: null, rttMs: null, errorRate: null },
    );
    for (const name of view.pool?.nodes ?? []) maxOrdinal[region] = Math.max(maxOrdinal[region] ?? 0, nameOrdinal(name) ?? 0);
  }
  return { ...inp, pools, lastChange, maxOrdinal, scaleDownSince: res.scaleDownSince };
}

function checkInvariants(res: AutoscaleResult): void {
  for (const d of res.decisions) {
    assert.equal(d.controller, 'autoscale');
    assert.equal(d.service, 'svc-plus');
    assert.ok(d.summary.startsWith(`autoscale: svc-plus ${d.region} `), d.summary);
    assert.deepEqual(Object.keys(d.patch).sort(), ['excluded', 'nodes'], 'autoscale owns nodes and excluded, never weight');
    const nodes = new Set(d.patch.nodes);
    for (const x of d.patch.excluded ?? []) assert.ok(nodes.has(x), `${d.summary}: excluded ${x} is not in nodes`);
    assert.equal(nodes.size, d.patch.nodes?.length, 'no duplicate names');
  }
}

interface Row {
  name: string;
  input: AutoscaleInput;
  summaries: string[];
  drain?: string[];
  removed?: string[];
  /** Extra checks on the result. */
  check?: (r: AutoscaleResult) => void;
}

const rows: Row[] = [
  // The rule, one threshold at a time.
  {
    name: 'scales up by one step when cpu is above scale_up_cpu, new name also excluded',
    input: input({ metrics: { jp: cpu(0.9), sg: 'stale' } }),
    summaries: ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
    check: (r) => {
      assert.deepEqual(r.decisions[0]?.patch, { nodes: [n('jp', 1), n('jp', 2), n('jp', 3)], excluded: [n('jp', 3)] });
      assert.equal(r.decisions[0].kind, 'scale_up');
      assert.equal(r.decisions[0].why.cpu, 0.9);
      assert.deepEqual(r.regions.jp, {
        current: 2,
        desired: 3,
        cpu: 0.9,
        wanted: 'up',
        reason: `cpu=0.90: 2→3, adding ${n('jp', 3)}`,
        coming: 0,
        draining: [],
      });
    },
  },
  {
    name: 'holds when cpu is between the thresholds',
    input: input({ metrics: { jp: cpu(0.5), sg: 'stale' } }),
    summaries: [],
    check: (r) => {
      assert.equal(r.regions.jp?.wanted, 'hold');
      assert.equal(r.regions.jp.reason, 'cpu=0.50 within 0.30..0.70');
      assert.equal(r.scaleDownSince.jp, undefined);
    },
  },
  {
    name: 'holds at exactly scale_up_cpu: the rule is strictly above',
    input: input({ metrics: { jp: cpu(0.7), sg: 'stale' } }),
    summaries: [],
  },
  {
    name: 'scales up by scale_up_step',
    input: input({ policy: policy({}, { jp: { scale_up_step: 2 } }), metrics: { jp: cpu(0.95), sg: 'stale' } }),
    summaries: ['autoscale: svc-plus jp 2→4 (cpu=0.95)'],
  },
  {
    name: 'scales down after the down-want lasted the whole stabilization window',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active', { cpu: 0.2 }), node(n('jp', 2), 'active', { cpu: 0.05 }), node(n('jp', 3), 'active', { cpu: 0.11 })]) },
      metrics: { jp: cpu(0.12) },
      scaleDownSince: { jp: NOW - 300 * S },
    }),
    summaries: ['autoscale: svc-plus jp 3→2 (cpu=0.12)'],
    drain: [n('jp', 2)],
    check: (r) => {
      const d = r.decisions[0];
      assert.equal(d?.kind, 'scale_down');
      assert.deepEqual(d.patch, { nodes: [n('jp', 1), n('jp', 2), n('jp', 3)], excluded: [n('jp', 2)] }, 'nodes stay until drained');
      assert.equal(d.why.victims, n('jp', 2));
      assert.deepEqual(r.regions.jp?.draining, [n('jp', 2)]);
      assert.equal(r.scaleDownSince.jp, NOW - 300 * S, 'still wanted: the window carries on');
    },
  },
  {
    name: 'removes a never-registered victim at once instead of draining it',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active', { cpu: 0.2 }), node(n('jp', 2), 'active', { cpu: 0.05 }), node(n('jp', 3), 'unknown')], [n('jp', 3)]) },
      metrics: { jp: cpu(0.12) },
      scaleDownSince: { jp: NOW - 300 * S },
    }),
    summaries: ['autoscale: svc-plus jp 3→2 (cpu=0.12)'],
    drain: [],
    check: (r) => {
      assert.deepEqual(r.decisions[0]?.patch, { nodes: [n('jp', 1), n('jp', 2)], excluded: [] });
      assert.deepEqual(r.removed, [n('jp', 3)]);
    },
  },
  {
    name: 'drains a never-registered victim that is still serving on trust: it may be in DNS',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active', { cpu: 0.2 }), node(n('jp', 2), 'active', { cpu: 0.05 }), node(n('jp', 3), 'unknown')]) },
      metrics: { jp: cpu(0.12) },
      scaleDownSince: { jp: NOW - 300 * S },
    }),
    summaries: ['autoscale: svc-plus jp 3→2 (cpu=0.12)'],
    drain: [n('jp', 3)],
    check: (r) => {
      assert.deepEqual(r.decisions[0]?.patch, { nodes: [n('jp', 1), n('jp', 2), n('jp', 3)], excluded: [n('jp', 3)] });
      assert.deepEqual(r.removed, []);
    },
  },
  {
    name: 'does not scale down one second before the stabilization window ends',
    input: input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: { jp: cpu(0.12) }, scaleDownSince: { jp: NOW - 299 * S } }),
    summaries: [],
    check: (r) => {
      assert.equal(r.scaleDownSince.jp, NOW - 299 * S);
      assert.equal(r.regions.jp?.reason, 'cpu=0.12 < 0.30 for 4m59s of 5m');
      assert.equal(r.regions.jp.wanted, 'down');
    },
  },
  {
    name: 'starts the stabilization window on the first pass that wants down',
    input: input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: { jp: cpu(0.12) } }),
    summaries: [],
    check: (r) => assert.equal(r.scaleDownSince.jp, NOW),
  },
  {
    name: 'clears the stabilization window when cpu comes back between the thresholds',
    input: input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: { jp: cpu(0.31) }, scaleDownSince: { jp: NOW - 299 * S } }),
    summaries: [],
    check: (r) => assert.equal(r.scaleDownSince.jp, undefined),
  },
  {
    name: 'scales down by scale_down_step but never below min_nodes',
    input: input({
      policy: policy({}, { jp: { scale_down_step: 3, min_nodes: 2 } }),
      pools: { jp: pool(actives('jp', 1, 2, 3, 4)) },
      metrics: { jp: cpu(0.1) },
      scaleDownSince: { jp: NOW - 10 * M },
    }),
    summaries: ['autoscale: svc-plus jp 4→2 (cpu=0.10)'],
    drain: [n('jp', 4), n('jp', 3)],
  },
  {
    name: 'holds a scale down at min_nodes',
    input: input({ pools: { jp: pool(actives('jp', 1)) }, metrics: { jp: cpu(0.1) }, scaleDownSince: { jp: NOW - 10 * M } }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.10 < 0.30, at min 1'),
  },
  // Cooldown.
  {
    name: 'cooldown blocks a scale up and says how long is left',
    input: input({ metrics: { jp: cpu(0.9), sg: 'stale' }, lastChange: { jp: NOW - 60 * S } }),
    summaries: [],
    check: (r) => {
      assert.equal(r.regions.jp?.reason, 'cpu=0.90 > 0.70, cooldown 60s left');
      assert.equal(r.regions.jp.wanted, 'up');
    },
  },
  {
    name: 'cooldown blocks a scale down, and the stabilization window keeps running',
    input: input({
      pools: { jp: pool(actives('jp', 1, 2, 3)) },
      metrics: { jp: cpu(0.1) },
      lastChange: { jp: NOW - 119 * S },
      scaleDownSince: { jp: NOW - 10 * M },
    }),
    summaries: [],
    check: (r) => {
      assert.equal(r.regions.jp?.reason, 'cpu=0.10 < 0.30, cooldown 1s left');
      assert.equal(r.scaleDownSince.jp, NOW - 10 * M);
    },
  },
  {
    name: 'scales again once the cooldown has passed exactly',
    input: input({ metrics: { jp: cpu(0.9), sg: 'stale' }, lastChange: { jp: NOW - 120 * S } }),
    summaries: ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
  },
  // Stale metrics.
  {
    name: 'stale metrics with on_missing_metrics hold: no change, and never a scale down',
    input: input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: { jp: 'stale' }, scaleDownSince: { jp: NOW - 10 * M } }),
    summaries: [],
    check: (r) => {
      assert.equal(r.scaleDownSince.jp, undefined, 'missing data breaks the down-want');
      assert.equal(r.regions.jp?.cpu, 'stale');
      assert.equal(r.regions.jp.reason, 'metrics missing: holding');
    },
  },
  {
    name: 'a region missing from metrics counts as stale',
    input: input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: {}, scaleDownSince: { jp: NOW - 10 * M } }),
    summaries: [],
  },
  {
    name: 'stale metrics with on_missing_metrics scale_up: scales up by one step',
    input: input({ policy: policy({ on_missing_metrics: 'scale_up' }), metrics: { jp: 'stale', sg: 'stale' } }),
    summaries: ['autoscale: svc-plus jp 2→3 (metrics missing)'],
    check: (r) => assert.equal(r.decisions[0]?.why.cpu, 'stale'),
  },
  {
    name: 'on_missing_metrics scale_up leaves an empty region empty: it has nothing to measure',
    input: input({ policy: policy({ on_missing_metrics: 'scale_up' }), metrics: { jp: cpu(0.5), sg: 'stale' } }),
    summaries: [],
  },
  // Coming capacity.
  {
    name: 'a node still provisioning blocks another scale up',
    input: input({
      pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'unknown', { added: NOW - 1 * M })], [n('jp', 3)]) },
      metrics: { jp: cpu(0.9) },
    }),
    summaries: [],
    check: (r) => {
      assert.equal(r.regions.jp?.reason, 'cpu=0.90 > 0.70, waiting for 1 new node');
      assert.equal(r.regions.jp.coming, 1);
      assert.equal(r.regions.jp.current, 3, 'the coming node counts in the size');
    },
  },
  {
    name: 'a warm node is coming capacity too',
    input: input({
      pools: {
        jp: pool(
          [...actives('jp', 1, 2), node(n('jp', 3), 'warm', { added: NOW - 2 * M }), node(n('jp', 4), 'unknown', { added: NOW })],
          [n('jp', 3), n('jp', 4)],
        ),
      },
      metrics: { jp: cpu(0.9) },
    }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.90 > 0.70, waiting for 2 new nodes'),
  },
  {
    name: 'a node not active after provision_timeout stops counting as coming but stays in the size',
    input: input({
      pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'unknown', { added: NOW - 10 * M })], [n('jp', 3)]) },
      metrics: { jp: cpu(0.9) },
    }),
    summaries: ['autoscale: svc-plus jp 3→4 (cpu=0.90)'],
    check: (r) => assert.equal(r.regions.jp?.coming, 0),
  },
  // Replacement.
  {
    name: 'replaces a node down for replace_after with a new name, ignoring cooldown',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active'), node(n('jp', 2), 'down', { since: NOW - 5 * M }), node(n('jp', 3), 'active')], [n('jp', 2)]) },
      lastChange: { jp: NOW },
    }),
    summaries: ['autoscale: svc-plus jp replace jp-svc-plus-2 → jp-svc-plus-4 (down 5m)'],
    removed: [n('jp', 2)],
    check: (r) => {
      assert.equal(r.decisions[0]?.kind, 'replace');
      assert.deepEqual(r.decisions[0].patch, { nodes: [n('jp', 1), n('jp', 3), n('jp', 4)], excluded: [n('jp', 4)] });
    },
  },
  {
    name: 'does not replace a node whose down is only the store’s word from before this term',
    input: input({ pools: { jp: pool([node(n('jp', 1), 'active'), { ...node(n('jp', 2), 'down', { since: NOW - 60 * M }), loaded: true }]) } }),
    summaries: [],
  },
  {
    name: 'does not replace a node down for less than replace_after',
    input: input({ pools: { jp: pool([node(n('jp', 1), 'active'), node(n('jp', 2), 'down', { since: NOW - 5 * M + 1 })], [n('jp', 2)]) } }),
    summaries: [],
  },
  {
    name: 'a replacement name is above the highest ordinal ever used, not only those in the pool',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active'), node(n('jp', 2), 'down', { since: NOW - 20 * M })], [n('jp', 2)]) },
      maxOrdinal: { jp: 9 },
    }),
    summaries: ['autoscale: svc-plus jp replace jp-svc-plus-2 → jp-svc-plus-10 (down 20m)'],
    removed: [n('jp', 2)],
  },
  {
    name: 'a new name is above every name in the pool even when the registry knows fewer',
    input: input({ pools: { jp: pool([node(n('jp', 1), 'active'), node(n('jp', 7), 'active')]) }, maxOrdinal: { jp: 1 }, metrics: { jp: cpu(0.9) } }),
    summaries: ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
    check: (r) => assert.deepEqual(r.decisions[0]?.patch.nodes, [n('jp', 1), n('jp', 7), n('jp', 8)]),
  },
  // Drain, then removal.
  {
    name: 'removes a drained node from nodes and excluded after drainMs, ignoring cooldown',
    input: input({
      pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'drain', { since: NOW - 60 * S })], [n('jp', 3)]) },
      lastChange: { jp: NOW - 60 * S },
    }),
    summaries: ['autoscale: svc-plus jp remove jp-svc-plus-3 (drained 60s)'],
    removed: [n('jp', 3)],
    check: (r) => {
      assert.equal(r.decisions[0]?.kind, 'remove');
      assert.deepEqual(r.decisions[0].patch, { nodes: [n('jp', 1), n('jp', 2)], excluded: [] });
      assert.deepEqual(r.regions.jp?.draining, []);
    },
  },
  {
    name: 'keeps a draining node until drainMs has passed',
    input: input({ pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'drain', { since: NOW - 59 * S })], [n('jp', 3)]) } }),
    summaries: [],
    check: (r) => {
      assert.deepEqual(r.regions.jp?.draining, [n('jp', 3)]);
      assert.equal(r.regions.jp.current, 2, 'a draining node is not in the size');
    },
  },
  {
    name: 'uses the effective drain time from the caller (2 × TTL beats the policy drain)',
    input: input({ pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'drain', { since: NOW - 90 * S })], [n('jp', 3)]) }, drainMs: 120 * S }),
    summaries: [],
  },
  {
    name: 'drops a name whose node is already deleted (a lost commit is redone)',
    input: input({ pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'deleted')], [n('jp', 3)]) } }),
    summaries: ['autoscale: svc-plus jp remove jp-svc-plus-3 (deleted)'],
    removed: [],
  },
  // Victim order.
  {
    name: 'picks down, then provisioning, then excluded, then least loaded active nodes, newest first on ties',
    input: input({
      policy: policy({}, { jp: { scale_down_step: 4, max_nodes: 6 } }),
      pools: {
        jp: pool(
          [
            node(n('jp', 1), 'active', { cpu: 0.1 }),
            node(n('jp', 2), 'active', { cpu: 0.05 }),
            node(n('jp', 3), 'active', { cpu: 0.05 }),
            node(n('jp', 4), 'active', { cpu: 0.2 }),
            node(n('jp', 5), 'down', { since: NOW - 1 * M }),
            node(n('jp', 6), 'warm', { since: NOW - 1 * M, added: NOW - 2 * M }),
          ],
          [n('jp', 4), n('jp', 5), n('jp', 6)],
        ),
      },
      metrics: { jp: cpu(0.1) },
      scaleDownSince: { jp: NOW - 10 * M },
    }),
    summaries: ['autoscale: svc-plus jp 6→2 (cpu=0.10)'],
    drain: [n('jp', 5), n('jp', 6), n('jp', 4), n('jp', 3)],
    check: (r) => assert.deepEqual(r.decisions[0]?.patch.excluded, [n('jp', 4), n('jp', 5), n('jp', 6), n('jp', 3)]),
  },
  {
    name: 'a down node chosen as a victim is drained, not replaced',
    input: input({
      pools: { jp: pool([node(n('jp', 1), 'active', { cpu: 0.1 }), node(n('jp', 2), 'down', { since: NOW - 6 * M })], [n('jp', 2)]) },
      metrics: { jp: cpu(0.1) },
      scaleDownSince: { jp: NOW - 10 * M },
      policy: policy({}, { jp: { min_nodes: 1 } }),
    }),
    summaries: ['autoscale: svc-plus jp 2→1 (cpu=0.10)'],
    drain: [n('jp', 2)],
    removed: [],
  },
  // Bounds.
  {
    name: 'clamps a scale up at max_nodes',
    input: input({
      policy: policy({ max_regions: 1 }, { jp: { scale_up_step: 2 } }),
      pools: { jp: pool(actives('jp', 1, 2, 3, 4)) },
      metrics: { jp: cpu(0.9) },
    }),
    summaries: ['autoscale: svc-plus jp 4→5 (cpu=0.90)'],
  },
  {
    name: 'holds at max_nodes when no other region may take the step',
    input: input({ policy: policy({ max_regions: 1 }), pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)) }, metrics: { jp: cpu(0.9) } }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.90 > 0.70, jp at max 5'),
  },
  {
    name: 'brings a region up to min_nodes at once, ignoring cooldown',
    input: input({ policy: policy({}, { jp: { min_nodes: 2 } }), pools: { jp: pool(actives('jp', 1)) }, lastChange: { jp: NOW } }),
    summaries: ['autoscale: svc-plus jp 1→2 (min 2)'],
  },
  {
    name: 'brings a region down to max_nodes at once, ignoring cooldown and stabilization',
    input: input({
      policy: policy({}, { jp: { max_nodes: 2 } }),
      pools: {
        jp: pool([
          node(n('jp', 1), 'active', { cpu: 0.5 }),
          node(n('jp', 2), 'active', { cpu: 0.4 }),
          node(n('jp', 3), 'active', { cpu: 0.6 }),
          node(n('jp', 4), 'active', { cpu: 0.3 }),
        ]),
      },
      metrics: { jp: cpu(0.9) },
      lastChange: { jp: NOW },
    }),
    summaries: ['autoscale: svc-plus jp 4→2 (max 2)'],
    drain: [n('jp', 4), n('jp', 2)],
  },
  // Region quota and overflow.
  {
    name: 'the region quota stops a scale up and the step overflows to another region',
    input: input({ otherServicesNodes: { jp: 18 }, metrics: { jp: cpu(0.91), sg: 'stale' } }),
    summaries: ['autoscale: svc-plus sg 0→1 (overflow from jp: cpu=0.91, jp at quota 20)'],
    check: (r) => {
      assert.equal(r.regions.jp?.reason, 'cpu=0.91 > 0.70, jp at quota 20; overflow 1 to sg');
      assert.equal(r.decisions[0]?.kind, 'scale_up');
      assert.equal(r.decisions[0].why.source, 'jp');
    },
  },
  {
    name: 'the quota leaves room for part of the step; the rest overflows',
    input: input({ policy: policy({}, { jp: { scale_up_step: 2 } }), otherServicesNodes: { jp: 17 }, metrics: { jp: cpu(0.91), sg: 'stale' } }),
    summaries: ['autoscale: svc-plus jp 2→3 (cpu=0.91)', 'autoscale: svc-plus sg 0→1 (overflow from jp: cpu=0.91, jp at quota 20)'],
  },
  {
    name: 'other services already past the quota: no scale up here, never a scale down, and only one step overflows',
    input: input({ otherServicesNodes: { jp: 25 }, metrics: { jp: cpu(0.91), sg: 'stale' } }),
    summaries: ['autoscale: svc-plus sg 0→1 (overflow from jp: cpu=0.91, jp at quota 20)'],
    check: (r) => assert.equal(r.regions.jp?.desired, 2),
  },
  {
    name: 'overflow from max_nodes goes to the cheapest region that can take it',
    input: input({
      policy: policy({}, { us: {}, eu: {} }),
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)) },
      metrics: { jp: cpu(0.91) },
    }),
    summaries: ['autoscale: svc-plus us 0→1 (overflow from jp: cpu=0.91, jp at max 5)'],
  },
  {
    name: 'an unknown cost counts as the most expensive; equal costs go by region name',
    input: input({
      policy: policy({}, { eu: {}, ap: {}, au: {} }),
      regionDefs: { ...DEFS, ap: regionDef('ap', undefined), au: regionDef('au', undefined) },
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)), sg: pool(actives('sg', 1, 2, 3, 4, 5)) },
      metrics: { jp: cpu(0.91), sg: cpu(0.5) },
    }),
    summaries: ['autoscale: svc-plus ap 0→1 (overflow from jp: cpu=0.91, jp at max 5)'],
  },
  {
    name: 'overflow spreads over several regions, cheapest first, within their max_nodes',
    input: input({
      policy: policy({}, { jp: { scale_up_step: 3 }, us: { max_nodes: 1 } }),
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)) },
      metrics: { jp: cpu(0.91) },
    }),
    summaries: ['autoscale: svc-plus sg 0→2 (overflow from jp: cpu=0.91, jp at max 5)', 'autoscale: svc-plus us 0→1 (overflow from jp: cpu=0.91, jp at max 5)'],
  },
  {
    name: 'overflow skips a region that wants down: it already has spare capacity',
    input: input({
      policy: policy({}, { us: {} }),
      regionDefs: { ...DEFS, sg: regionDef('sg', 0.001) },
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)), sg: pool(actives('sg', 1)), us: pool(actives('us', 1)) },
      metrics: { jp: cpu(0.91), sg: cpu(0.1), us: cpu(0.4) },
    }),
    summaries: ['autoscale: svc-plus us 1→2 (overflow from jp: cpu=0.91, jp at max 5)'],
    check: (r) => assert.equal(r.regions.sg?.reason, 'cpu=0.10 < 0.25 for 0s of 5m'),
  },
  {
    name: 'overflow waits while another region has nodes coming',
    input: input({
      policy: policy({}, { us: {} }),
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)), us: pool([node(n('us', 1), 'unknown', { added: NOW - 1 * M })], [n('us', 1)]) },
      metrics: { jp: cpu(0.91), us: 'stale' },
    }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.91 > 0.70, jp at max 5; overflow waits for us (waiting for 1 new node)'),
  },
  {
    name: 'overflow waits while another region is in cooldown',
    input: input({
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)), sg: pool(actives('sg', 1)) },
      metrics: { jp: cpu(0.91), sg: cpu(0.4) },
      lastChange: { sg: NOW - 30 * S },
    }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.91 > 0.70, jp at max 5; overflow waits for sg (cooldown 90s left)'),
  },
  {
    name: 'while a region is at its limit, other regions keep their capacity instead of scaling down',
    input: input({
      pools: { jp: pool(actives('jp', 1, 2, 3, 4, 5)), sg: pool(actives('sg', 1, 2)) },
      metrics: { jp: cpu(0.91), sg: cpu(0.1) },
      scaleDownSince: { sg: NOW - 10 * M },
    }),
    summaries: [],
    check: (r) => assert.equal(r.regions.sg?.reason, 'cpu=0.10 < 0.25, keeping capacity for jp (at its limit)'),
  },
  // min_regions / max_regions.
  {
    name: 'max_regions stops overflow into an empty region',
    input: input({ policy: policy({ max_regions: 1 }), otherServicesNodes: { jp: 18 }, metrics: { jp: cpu(0.91), sg: 'stale' } }),
    summaries: [],
  },
  {
    name: 'max_regions stops min_nodes from bringing up an empty region',
    input: input({ policy: policy({ max_regions: 1 }, { sg: { min_nodes: 1 } }) }),
    summaries: [],
    check: (r) => assert.equal(r.regions.sg?.reason, 'below min 1, but max_regions 1 reached'),
  },
  {
    name: 'below min_regions, brings up the cheapest empty region to max(1, min_nodes)',
    input: input({ policy: policy({ min_regions: 2 }, { us: {}, eu: {} }) }),
    summaries: ['autoscale: svc-plus us 0→1 (min_regions 2)'],
  },
  {
    name: 'a region brought up for min_regions gets its min_nodes',
    input: input({ policy: policy({ min_regions: 3 }, { us: { min_nodes: 0 }, eu: {} }), regionDefs: { ...DEFS, eu: regionDef('eu', 0.001) } }),
    summaries: ['autoscale: svc-plus eu 0→1 (min_regions 3)', 'autoscale: svc-plus us 0→1 (min_regions 3)'],
  },
  {
    name: 'keeps the last node of the only region for min_regions',
    input: input({
      policy: policy({}, { jp: { min_nodes: 0 } }),
      pools: { jp: pool(actives('jp', 1)) },
      metrics: { jp: cpu(0.05) },
      scaleDownSince: { jp: NOW - 10 * M },
    }),
    summaries: [],
    check: (r) => assert.equal(r.regions.jp?.reason, 'cpu=0.05: last node kept for min_regions 1'),
  },
  {
    name: 'when two regions would empty, the expensive one goes and min_regions keeps the cheap one',
    input: input({
      policy: policy({}, { jp: { min_nodes: 0 } }),
      pools: { jp: pool(actives('jp', 1)), sg: pool(actives('sg', 1)) },
      metrics: { jp: cpu(0.05), sg: cpu(0.05) },
      scaleDownSince: { jp: NOW - 10 * M, sg: NOW - 10 * M },
    }),
    summaries: ['autoscale: svc-plus sg 1→0 (cpu=0.05)'],
    drain: [n('sg', 1)],
  },
  // Holds.
  {
    name: 'a hold on nodes stops scale up in that region only',
    input: input({
      pools: { jp: pool(actives('jp', 1, 2)), sg: pool(actives('sg', 1)) },
      metrics: { jp: cpu(0.9), sg: cpu(0.9) },
      holds: new Set(['jp:nodes']),
    }),
    summaries: ['autoscale: svc-plus sg 1→2 (cpu=0.90)'],
    check: (r) => {
      assert.equal(r.regions.jp?.reason, 'held by a human change');
      assert.equal(r.regions.jp.wanted, 'up');
    },
  },
  {
    name: 'a hold on excluded stops the region too: every autoscale decision writes it',
    input: input({ metrics: { jp: cpu(0.9), sg: 'stale' }, holds: new Set(['jp:excluded']), policy: policy({ max_regions: 1 }) }),
    summaries: [],
  },
  {
    name: 'a hold stops replacement and removal of drained nodes',
    input: input({
      pools: {
        jp: pool(
          [node(n('jp', 1), 'active'), node(n('jp', 2), 'down', { since: NOW - 30 * M }), node(n('jp', 3), 'drain', { since: NOW - 30 * M })],
          [n('jp', 2), n('jp', 3)],
        ),
      },
      holds: new Set(['jp:nodes']),
    }),
    summaries: [],
    removed: [],
  },
  {
    name: 'a held region is not an overflow target',
    input: input({ otherServicesNodes: { jp: 18 }, metrics: { jp: cpu(0.91), sg: 'stale' }, holds: new Set(['sg:nodes']) }),
    summaries: [],
  },
  // Pool creation.
  {
    name: 'creates a pool with nodes and excluded, and leaves weight to GTM',
    input: input({ policy: policy({}, { sg: { min_nodes: 1 } }), pools: { jp: pool(actives('jp', 1, 2)) } }),
    summaries: ['autoscale: svc-plus sg 0→1 (min 1)'],
    check: (r) => assert.deepEqual(r.decisions[0]?.patch, { nodes: [n('sg', 1)], excluded: [n('sg', 1)] }),
  },
  // Several rules in one pass on one pool.
  {
    name: 'patches are cumulative within a pass: remove, replace and scale up in one region',
    input: input({
      policy: policy({ max_regions: 1 }),
      pools: {
        jp: pool(
          [
            node(n('jp', 1), 'active'),
            node(n('jp', 2), 'drain', { since: NOW - 2 * M }),
            node(n('jp', 3), 'down', { since: NOW - 6 * M }),
            node(n('jp', 4), 'active'),
          ],
          [n('jp', 2), n('jp', 3)],
        ),
      },
      metrics: { jp: cpu(0.8) },
    }),
    summaries: [
      'autoscale: svc-plus jp remove jp-svc-plus-2 (drained 2m)',
      'autoscale: svc-plus jp replace jp-svc-plus-3 → jp-svc-plus-5 (down 6m)',
      'autoscale: svc-plus jp 3→4 (cpu=0.80)',
    ],
    removed: [n('jp', 2), n('jp', 3)],
    check: (r) => {
      assert.deepEqual(
        r.decisions.map((d) => d.patch),
        [
          { nodes: [n('jp', 1), n('jp', 3), n('jp', 4)], excluded: [n('jp', 3)] },
          { nodes: [n('jp', 1), n('jp', 4), n('jp', 5)], excluded: [n('jp', 5)] },
          { nodes: [n('jp', 1), n('jp', 4), n('jp', 5), n('jp', 6)], excluded: [n('jp', 5), n('jp', 6)] },
        ],
      );
    },
  },
];

for (const row of rows) {
  test(row.name, () => {
    const res = computeAutoscale(row.input);
    assert.deepEqual(
      res.decisions.map((d) => d.summary),
      row.summaries,
    );
    assert.deepEqual(res.drain, row.drain ?? []);
    if (row.removed) assert.deepEqual(res.removed, row.removed);
    checkInvariants(res);
    row.check?.(res);
  });
  test(`idempotent: ${row.name}`, () => {
    const first = computeAutoscale(row.input);
    const again = computeAutoscale(apply(row.input, first));
    assert.deepEqual(
      again.decisions.map((d) => d.summary),
      [],
    );
    assert.deepEqual(again.drain, []);
    assert.deepEqual(again.removed, []);
  });
}

test('does not change its input', () => {
  const inp = input({
    pools: { jp: pool([...actives('jp', 1, 2), node(n('jp', 3), 'drain', { since: NOW - 2 * M })], [n('jp', 3)]) },
    metrics: { jp: cpu(0.9) },
  });
  const before = JSON.stringify(inp);
  computeAutoscale(inp);
  assert.equal(JSON.stringify(inp), before);
});

test('the same input gives the same result', () => {
  const inp = input({ policy: policy({ min_regions: 3 }, { us: {}, eu: {} }), otherServicesNodes: { jp: 18 }, metrics: { jp: cpu(0.91) } });
  assert.deepEqual(computeAutoscale(inp), computeAutoscale(inp));
});

test('a scale-down victim already excluded is not picked twice once the executor has drained it', () => {
  const inp = input({ pools: { jp: pool(actives('jp', 1, 2, 3)) }, metrics: { jp: cpu(0.1) }, scaleDownSince: { jp: NOW - 10 * M } });
  const first = computeAutoscale(inp);
  assert.deepEqual(first.drain, [n('jp', 3)]);
  // Cooldown over, the first victim still draining: the next step picks another node, and the
  // drained one is not picked again nor excluded twice.
  const next = apply(inp, first);
  const second = computeAutoscale({ ...next, now: NOW + 120 * S, drainMs: 180 * S });
  assert.deepEqual(second.drain, [n('jp', 2)]);
  assert.deepEqual(second.decisions[0]?.patch.excluded, [n('jp', 3), n('jp', 2)]);
  assert.equal(second.decisions[0].summary, 'autoscale: svc-plus jp 2→1 (cpu=0.10)');
});

// A small world that reacts to the executor the way the registry does: new names
// register and become active after 30 s, victims drain, removed nodes go.
function simulate(cpuAt: (pass: number) => number, passes: number): { changes: { at: number; kind: string; region: string }[]; sizes: number[] } {
  let inp = input({ policy: policy({ max_regions: 1 }), metrics: { jp: cpu(cpuAt(0)) } });
  const changes: { at: number; kind: string; region: string }[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < passes; i += 1) {
    const now = NOW + i * 10 * S;
    for (const view of Object.values(inp.pools)) {
      view.nodes = view.nodes.map((o) => (o.state === 'unknown' && now - o.addedAt >= 30 * S ? { ...o, state: 'active', stateSince: now, cpu: 0.5 } : o));
    }
    inp = { ...inp, now, metrics: { jp: cpu(cpuAt(i)) } };
    const res = computeAutoscale(inp);
    checkInvariants(res);
    for (const d of res.decisions) if (isScaleChange(d)) changes.push({ at: now, kind: d.kind, region: d.region });
    inp = apply(inp, res);
    sizes.push(inp.pools.jp?.nodes.filter((o) => o.state !== 'drain').length ?? 0);
  }
  return { changes, sizes };
}

const flapping: { name: string; cpuAt: (i: number) => number }[] = [
  { name: 'cpu alternating across both thresholds every pass', cpuAt: (i) => (i % 2 === 0 ? 0.72 : 0.28) },
  { name: 'cpu swinging around both thresholds (period 90 s)', cpuAt: (i) => 0.5 + 0.25 * Math.sin(i * 0.7) },
  { name: 'cpu just above then just below each threshold, in runs', cpuAt: (i) => [0.71, 0.69, 0.71, 0.31, 0.29, 0.29, 0.29][i % 7] ?? 0.5 },
  { name: 'cpu low for long stretches with short spikes', cpuAt: (i) => (i % 40 < 35 ? 0.1 : 0.95) },
];

for (const f of flapping) {
  test(`flapping input is bounded by cooldown and stabilization: ${f.name}`, () => {
    const passes = 100;
    const { changes, sizes } = simulate(f.cpuAt, passes);
    assert.ok(changes.length > 0, 'the input does drive changes');
    const span = (passes - 1) * 10 * S;
    // Never two changes within one cooldown in a region.
    for (let k = 1; k < changes.length; k += 1) {
      const a = changes[k - 1];
      const b = changes[k];
      if (a && b) assert.ok(b.at - a.at >= GLOBAL.cooldown, `changes at ${a.at - NOW} and ${b.at - NOW} are closer than the cooldown`);
    }
    assert.ok(changes.length <= 1 + Math.floor(span / GLOBAL.cooldown), `${changes.length} changes in ${span / S}s`);
    // Every scale down follows a down-want that lasted the stabilization window.
    for (const c of changes.filter((x) => x.kind === 'scale_down')) {
      const pass = (c.at - NOW) / (10 * S);
      for (let j = pass - GLOBAL.scale_down_stabilization / (10 * S); j <= pass; j += 1) {
        assert.ok(f.cpuAt(j) < JP.scale_down_cpu, `scale down at pass ${pass} without a stable down-want (pass ${j})`);
      }
    }
    assert.ok(
      changes.filter((x) => x.kind === 'scale_down').length <= 1 + Math.floor(span / GLOBAL.scale_down_stabilization),
      'scale downs are bounded by the stabilization window',
    );
    for (const s of sizes) assert.ok(s >= JP.min_nodes && s <= JP.max_nodes, `size ${s} out of bounds`);
  });
}

test('cpu alternating across both thresholds never scales down', () => {
  const { changes } = simulate((i) => (i % 2 === 0 ? 0.72 : 0.28), 100);
  assert.equal(changes.filter((c) => c.kind === 'scale_down').length, 0);
});
