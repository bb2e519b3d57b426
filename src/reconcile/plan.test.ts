// planPass, the one function that runs both controllers, as a table over plain
// data: the example's declarations (svc-plus in jp and sg, autoscaled and
// weighted), a fleet of node facts, the stacks' pools and the loop's memory.
// Each row also applies its plan (the patched pools, drained victims, the
// memory the landed commit leaves) and plans again: nothing is left to do.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Declarations, Pool } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { seedDeclarations } from '../testing/index.js';
import type { FleetFacts } from './facts.js';
import { emptyMemory, rememberChanges, type LoopMemory } from './memory.js';
import { patchesByRegion, planPass, type PassInput, type PassPlan } from './plan.js';

const NOW = 1_700_000_000_000;
const S = 1_000;
const M = 60 * S;
const SVC = 'svc-plus';

/** One node as a row states it: its state, cpu while active, since when, and whether only the store says so. */
interface Node {
  state: NodeObservation['state'];
  cpu?: number;
  since?: number;
  loaded?: boolean;
}
type Fleet = Record<string, Node>;

/** The fleet's facts as the registry would give them at `now`, with `addedAt` from `memory`. */
function factsOf(fleet: Fleet, memory: LoopMemory, now: number): FleetFacts {
  const nodes = new Map<string, NodeObservation>();
  const cpus: Record<string, number[]> = { jp: [], sg: [] };
  const highestOrdinal = new Map<string, number>();
  for (const [name, n] of Object.entries(fleet)) {
    if (n.state === 'unknown') continue;
    const cpu = n.state === 'active' ? (n.cpu ?? 0.5) : null;
    nodes.set(name, {
      name,
      state: n.state,
      stateSince: n.since ?? now - 60 * M,
      addedAt: memory.firstSeen.get(name) ?? now,
      loaded: n.loaded ?? false,
      cpu,
      rttMs: null,
      errorRate: null,
    });
    const region = name.slice(0, 2);
    if (cpu !== null) cpus[region]?.push(cpu);
    const key = `${SVC}/${region}`;
    highestOrdinal.set(key, Math.max(highestOrdinal.get(key) ?? 0, Number(name.split('-').pop())));
  }
  const metrics = new Map<string, RegionMetrics | 'stale'>();
  for (const [region, list] of Object.entries(cpus)) {
    metrics.set(
      `${SVC}/${region}`,
      list.length === 0 ? 'stale' : { nodes: list.length, cpu: list.reduce((a, b) => a + b, 0) / list.length, qps: 10, errorRate: null, rttMs: null },
    );
  }
  return { nodes, metrics, highestOrdinal };
}

const pool = (weight: number, nodes: string[], excluded: string[] = []): Pool => ({ weight, nodes, excluded });

interface World {
  now: number;
  fleet: Fleet;
  pools: Record<string, Record<string, Pool>>;
  memory: LoopMemory;
  holds?: string[];
}

let declarations: Declarations;

function inputOf(w: World): PassInput {
  return { now: w.now, declarations, pools: w.pools, holds: new Set(w.holds ?? []), memory: w.memory, ...factsOf(w.fleet, w.memory, w.now) };
}

/**
 * The world once `plan`'s commit has landed and its side effects ran: the pools patched, drain
 * victims draining, removed names deleted, new names not registered yet, and the memory the pass
 * left with its change times.
 */
function applied(w: World, plan: PassPlan): World {
  const pools: World['pools'] = structuredClone(w.pools);
  for (const [region, byService] of Object.entries(patchesByRegion(plan.decisions))) {
    for (const [service, patch] of Object.entries(byService)) {
      const was = pools[region]?.[service];
      (pools[region] ??= {})[service] = { weight: was?.weight ?? 0, nodes: was?.nodes ?? [], excluded: was?.excluded ?? [], ...patch };
    }
  }
  const fleet: Fleet = { ...w.fleet };
  for (const name of plan.drain) fleet[name] = { ...fleet[name], state: 'drain', since: w.now };
  for (const name of plan.removed) fleet[name] = { state: 'deleted', since: w.now };
  return { ...w, pools, fleet, memory: rememberChanges(plan.nextMemory, plan.decisions, w.now) };
}

const summaries = (plan: PassPlan): string[] => plan.decisions.map((d) => d.summary);

/** A memory in which svc-plus/jp has wanted a scale-down for 10 minutes. */
function wantsDownSince(at: number): LoopMemory {
  return { ...emptyMemory(), scaleDownSince: new Map([[`${SVC}/jp`, at]]) };
}

const JP2 = ['jp-svc-plus-1', 'jp-svc-plus-2'];
const SG2 = ['sg-svc-plus-1', 'sg-svc-plus-2'];
const active = (cpu: number, ...names: string[]): Fleet => Object.fromEntries(names.map((n) => [n, { state: 'active', cpu }]));
const calmPools = (): World['pools'] => ({ jp: { [SVC]: pool(100, JP2) }, sg: { [SVC]: pool(10, SG2) } });

const rows: { name: string; world: () => World; want: string[]; drain?: string[]; removed?: string[] }[] = [
  {
    name: 'a calm fleet: nothing to do',
    world: () => ({ now: NOW, fleet: active(0.5, ...JP2, ...SG2), pools: calmPools(), memory: emptyMemory() }),
    want: [],
  },
  {
    name: 'a node seen down: its region’s weight and its exclusion, in one plan',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.5, ...JP2, ...SG2), 'sg-svc-plus-2': { state: 'down', since: NOW - M } },
      pools: calmPools(),
      memory: emptyMemory(),
    }),
    want: ['gtm: svc-plus sg weight 10→5 (ready 1/2)', 'gtm: svc-plus sg exclude sg-svc-plus-2 (down)'],
  },
  {
    name: 'a hot region scales up; the new name starts excluded and leaves the weight alone',
    world: () => ({ now: NOW, fleet: { ...active(0.9, ...JP2), ...active(0.5, ...SG2) }, pools: calmPools(), memory: emptyMemory() }),
    want: ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
  },
  {
    name: 'both controllers in one plan, autoscaler first: jp scales up while sg loses a node',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.9, ...JP2), ...active(0.5, ...SG2), 'sg-svc-plus-1': { state: 'down', since: NOW - M } },
      pools: calmPools(),
      memory: emptyMemory(),
    }),
    want: ['autoscale: svc-plus jp 2→3 (cpu=0.90)', 'gtm: svc-plus sg weight 10→5 (ready 1/2)', 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)'],
  },
  {
    name: 'a cold region past stabilization scales down: the victim is drained (excluded) in the same plan',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.1, ...JP2, 'jp-svc-plus-3'), ...active(0.5, ...SG2) },
      pools: { jp: { [SVC]: pool(100, [...JP2, 'jp-svc-plus-3']) }, sg: { [SVC]: pool(10, SG2) } },
      memory: wantsDownSince(NOW - 10 * M),
    }),
    want: ['autoscale: svc-plus jp 3→2 (cpu=0.10)'],
    drain: ['jp-svc-plus-3'],
  },
  {
    name: 'a node down past replace_after is replaced by a new name',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.5, ...JP2, 'sg-svc-plus-1'), 'sg-svc-plus-2': { state: 'down', since: NOW - 6 * M } },
      pools: { jp: { [SVC]: pool(100, JP2) }, sg: { [SVC]: pool(5, SG2, ['sg-svc-plus-2']) } },
      memory: emptyMemory(),
    }),
    want: ['autoscale: svc-plus sg replace sg-svc-plus-2 → sg-svc-plus-3 (down 6m)', 'gtm: svc-plus sg weight 5→10 (ready 1/1)'],
    removed: ['sg-svc-plus-2'],
  },
  {
    name: 'a drained node is removed once the drain is over',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.5, ...JP2, ...SG2), 'jp-svc-plus-3': { state: 'drain', since: NOW - 2 * M } },
      pools: { jp: { [SVC]: pool(100, [...JP2, 'jp-svc-plus-3'], ['jp-svc-plus-3']) }, sg: { [SVC]: pool(10, SG2) } },
      memory: emptyMemory(),
    }),
    want: ['autoscale: svc-plus jp remove jp-svc-plus-3 (drained 2m)'],
    removed: ['jp-svc-plus-3'],
  },
  {
    name: 'a node that became active is let into DNS at once; its weight waits for min_change_interval',
    world: () => ({
      now: NOW,
      fleet: active(0.5, ...JP2, ...SG2),
      pools: { jp: { [SVC]: pool(50, JP2, ['jp-svc-plus-2']) }, sg: { [SVC]: pool(10, SG2) } },
      memory: { ...emptyMemory(), lastWeight: new Map([[`${SVC}/jp`, NOW - 30 * S]]) },
    }),
    want: ['gtm: svc-plus jp include jp-svc-plus-2 (active)'],
  },
  {
    name: 'a region with no pool in its stack: the autoscaler makes one at min_nodes, and GTM weighs it as made (its node not ready yet)',
    world: () => ({ now: NOW, fleet: active(0.5, ...JP2), pools: { jp: { [SVC]: pool(100, JP2) } }, memory: emptyMemory() }),
    want: ['autoscale: svc-plus sg 0→1 (min 1)'],
  },
  {
    name: 'a held key is left alone: no weight change for a held weight',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.5, ...JP2, ...SG2), 'sg-svc-plus-2': { state: 'down', since: NOW - M } },
      pools: calmPools(),
      memory: emptyMemory(),
      holds: [`${SVC}/sg:weight`],
    }),
    want: ['gtm: svc-plus sg exclude sg-svc-plus-2 (down)'],
  },
  {
    name: 'a node down only in the store’s word (loaded) serves on: no exclusion, no replacement',
    world: () => ({
      now: NOW,
      fleet: { ...active(0.5, ...JP2, 'sg-svc-plus-1'), 'sg-svc-plus-2': { state: 'down', since: NOW - 6 * M, loaded: true } },
      pools: calmPools(),
      memory: emptyMemory(),
    }),
    want: [],
  },
  {
    name: 'self-protection: 3 of 4 down at once freezes every eviction, and the hot region still scales up',
    world: () => ({
      now: NOW,
      fleet: {
        ...active(0.9, 'jp-svc-plus-2'),
        'jp-svc-plus-1': { state: 'down', since: NOW },
        'sg-svc-plus-1': { state: 'down', since: NOW },
        'sg-svc-plus-2': { state: 'down', since: NOW },
      },
      pools: calmPools(),
      memory: { ...emptyMemory(), down: new Map([[SVC, new Set<string>()]]) },
    }),
    want: ['autoscale: svc-plus jp 2→3 (cpu=0.90)'],
  },
];

describe('planPass: both controllers, one plan', () => {
  before(async () => {
    declarations = await seedDeclarations();
  });

  for (const row of rows) {
    it(row.name, () => {
      const world = row.world();
      const plan = planPass(inputOf(world));
      assert.deepEqual(summaries(plan), row.want);
      assert.deepEqual(plan.drain, row.drain ?? []);
      assert.deepEqual(plan.removed, row.removed ?? []);
      const again = planPass(inputOf(applied(world, plan)));
      assert.deepEqual(summaries(again), [], 'apply the plan, plan again: nothing left to do');
    });
  }

  it('never changes its input', () => {
    for (const row of rows) {
      const world = row.world();
      const input = inputOf(world);
      const copy = structuredClone({ pools: input.pools, memory: input.memory, nodes: input.nodes, metrics: input.metrics, holds: input.holds });
      planPass(input);
      planPass(input);
      assert.deepEqual({ pools: input.pools, memory: input.memory, nodes: input.nodes, metrics: input.metrics, holds: input.holds }, copy, row.name);
    }
  });

  it('re-plans a rejected push from the same memory: the same plan and the same next memory, the panic rule included', () => {
    const world = rows.find((r) => r.name.startsWith('self-protection'))?.world();
    assert.ok(world);
    const first = planPass(inputOf(world));
    assert.equal(first.services[SVC]?.frozen?.detail, '3 of 4 nodes went down at once (more than panic_threshold 0.5)');
    // Someone pushed in between: the head has a hand edit elsewhere in the stacks. The writer plans again
    // on the new head, from the memory the first try began with.
    const moved = { ...world, pools: { ...world.pools, kr: { other: pool(1, ['kr-other-1']) } } };
    const second = planPass(inputOf(moved));
    assert.deepEqual(summaries(second), summaries(first));
    assert.deepEqual(second.services[SVC]?.frozen, first.services[SVC].frozen, 'the freeze is judged as the first try judged it');
    assert.deepEqual({ ...second.nextMemory, firstSeen: undefined }, { ...first.nextMemory, firstSeen: undefined });
    // Planned again from the first try's next memory instead, the same outage no longer looks sudden.
    const fromLeftovers = planPass({ ...inputOf(world), memory: first.nextMemory });
    assert.equal(fromLeftovers.services[SVC]?.frozen?.detail, '3 of 4 nodes down (more than panic_threshold 0.5)');
  });

  it('remembers first-seen times: kept for names it sees, now for new ones, carried for other pools, dropped for names gone', () => {
    const memory: LoopMemory = {
      ...emptyMemory(),
      firstSeen: new Map([
        ['jp-svc-plus-1', NOW - M],
        ['kr-other-1', NOW - 2 * M],
        ['jp-svc-plus-9', NOW - 3 * M],
      ]),
    };
    const world: World = { now: NOW, fleet: active(0.5, ...JP2, ...SG2), pools: { ...calmPools(), kr: { other: pool(1, ['kr-other-1']) } }, memory };
    const plan = planPass(inputOf(world));
    assert.deepEqual(Object.fromEntries(plan.nextMemory.firstSeen), {
      'jp-svc-plus-1': NOW - M,
      'jp-svc-plus-2': NOW,
      'sg-svc-plus-1': NOW,
      'sg-svc-plus-2': NOW,
      'kr-other-1': NOW - 2 * M,
    });
  });

  it('dates every node by the memory’s first-seen time, whatever addedAt its fact carries', () => {
    const memory: LoopMemory = { ...emptyMemory(), firstSeen: new Map([['jp-svc-plus-3', NOW - 20 * M]]) };
    const world: World = {
      now: NOW,
      fleet: { ...active(0.9, ...JP2), 'jp-svc-plus-3': { state: 'warm' }, ...active(0.5, ...SG2) },
      pools: { jp: { [SVC]: pool(100, [...JP2, 'jp-svc-plus-3'], ['jp-svc-plus-3']) }, sg: { [SVC]: pool(10, SG2) } },
      memory,
    };
    const input = inputOf(world);
    const stale = new Map(input.nodes);
    const warm = stale.get('jp-svc-plus-3');
    assert.ok(warm);
    stale.set('jp-svc-plus-3', { ...warm, addedAt: NOW });
    // Warm for 20 minutes is past provision_timeout: no longer coming capacity, so jp may scale up.
    assert.deepEqual(summaries(planPass({ ...input, nodes: stale })), summaries(planPass(input)));
    assert.deepEqual(summaries(planPass(input)), ['autoscale: svc-plus jp 3→4 (cpu=0.90)']);
  });

  it('keeps the panic baseline and freezes of declared services only', () => {
    const memory: LoopMemory = {
      ...emptyMemory(),
      down: new Map([['gone', new Set(['x'])]]),
      frozen: new Map([['gone', { reason: 'panic', since: NOW, detail: '' }]]),
    };
    const plan = planPass(inputOf({ now: NOW, fleet: active(0.5, ...JP2, ...SG2), pools: calmPools(), memory }));
    assert.deepEqual([...plan.nextMemory.down.keys()], [SVC]);
    assert.deepEqual([...plan.nextMemory.frozen.keys()], []);
  });
});
