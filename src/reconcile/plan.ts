// One pass of both controllers over plain data: the autoscaler decides each
// region's node list first, then the GTM controller decides weights and
// exclusions on the pools as the autoscaler left them. Before either runs, the
// self-protection rule (safety.ts) may freeze a service: its controllers then
// add but take nothing away. A value in, a value out: the fleet's facts come
// gathered (facts.ts), the input is never changed, and the loop's next memory
// is part of the result. The reconciler gathers the inputs and carries out
// the result.
import { computeAutoscale, type AutoscaleResult } from '../autoscale/index.js';
import type { Declarations, Pool } from '../config/index.js';
import type { Decision, NodeObservation, PoolView } from '../decision/index.js';
import { computeGtm, type GtmResult } from '../gtm/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import type { FleetFacts } from './facts.js';
import type { LoopMemory } from './memory.js';
import { DEFAULT_PANIC_THRESHOLD, HEALTHY, countFleet, evaluateFreeze, type ControlPlaneHealth, type Freeze } from './safety.js';
import { keyOf, shapesOf } from './shapes.js';

/** Everything a pass decides from. */
export interface PassInput extends FleetFacts {
  now: number;
  declarations: Declarations;
  /** Pools by region then service, read from the stack files at the head commit. */
  pools: Record<string, Record<string, Pool>>;
  /** Keys on hold, as `service/region:key`. */
  holds: ReadonlySet<string>;
  /** The memory the pass starts from; left as it is. */
  memory: LoopMemory;
  /** Share of a service's nodes that may go down at once before it freezes (default 0.5). */
  panicThreshold?: number;
  /** Whether the control plane still has its store and Git remote (default: both). */
  health?: ControlPlaneHealth;
}

/** What one service's controllers concluded. */
export interface ServicePlan {
  autoscale: AutoscaleResult | null;
  gtm: GtmResult | null;
  /** Set while self-protection holds the service's evictions back (safety.ts). */
  frozen: Freeze | null;
}

/** The outcome of a pass: decisions in commit order, side effects, status for the API, and the next memory. */
export interface PassPlan {
  decisions: Decision[];
  /** Seconds each controller spent deciding, for xplane_reconcile_duration_seconds. */
  seconds: { autoscale: number; gtm: number };
  /** Nodes to put into drain once the commit lands. */
  drain: string[];
  /** Nodes removed from `nodes`, to mark deleted once the commit lands. */
  removed: string[];
  services: Record<string, ServicePlan>;
  /**
   * The memory after this pass: what it saw (first-seen times, stabilization, the panic baseline,
   * freezes). The times of the changes it decided are added once its commit lands (rememberChanges).
   */
  nextMemory: LoopMemory;
}

/**
 * The loop's first-seen times as one pass rebuilds them. Marking every name seen and then
 * sweeping the old map costs three hash operations per node and pass; instead the pass fills the
 * next map as it goes (a name it observes keeps its time, a new one gets `now`), and at the end
 * names it did not observe but that are still in some pool or decision carry over. A name in no
 * pool falls away, so the memory stays as large as the fleet.
 */
class FirstSeen {
  readonly next = new Map<string, number>();

  constructor(
    private readonly prev: ReadonlyMap<string, number>,
    private readonly now: number,
  ) {}

  /** When the loop first saw `name` in a pool; now for a name new to it. */
  observe(name: string): number {
    const at = this.prev.get(name) ?? this.now;
    this.next.set(name, at);
    return at;
  }

  /** Keeps the time of a name that is still listed somewhere, without seeing it as new. */
  carry(name: string): void {
    if (this.next.has(name)) return;
    const at = this.prev.get(name);
    if (at !== undefined) this.next.set(name, at);
  }
}

/** The observations of a pool's names, in order: the gathered fact (with the memory's `addedAt`), or unknown. */
function observe(nodes: FleetFacts['nodes'], seen: FirstSeen, names: readonly string[]): NodeObservation[] {
  const out: NodeObservation[] = new Array<NodeObservation>(names.length);
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i] as string;
    const addedAt = seen.observe(name);
    const o = nodes.get(name);
    out[i] =
      o === undefined
        ? { name, state: 'unknown', stateSince: null, addedAt, cpu: null, rttMs: null, errorRate: null }
        : o.addedAt === addedAt
          ? o
          : { ...o, addedAt };
  }
  return out;
}

function regionHolds(holds: ReadonlySet<string>, service: string): Set<string> {
  if (holds.size === 0) return new Set();
  const prefix = `${service}/`;
  return new Set([...holds].filter((h) => h.startsWith(prefix)).map((h) => h.slice(prefix.length)));
}

/** Nodes listed in each region's pools at the head, all services together. */
function nodesPerRegion(pools: PassInput['pools']): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [region, byService] of Object.entries(pools)) {
    let sum = 0;
    for (const pool of Object.values(byService)) sum += pool.nodes.length;
    totals.set(region, sum);
  }
  return totals;
}

/** Applies decision patches in order to a region's pools of one service. */
function patched(
  views: Record<string, PoolView>,
  regions: readonly string[],
  decisions: Decision[],
  result: AutoscaleResult | null,
  now: number,
): Record<string, PoolView> {
  if (decisions.length === 0) return views;
  const out: Record<string, PoolView> = {};
  const drain = new Set(result?.drain ?? []);
  const changed = new Set(decisions.map((d) => d.region));
  for (const region of regions) {
    const view = views[region];
    if (!view) continue;
    // A region without a decision is as it was, unless it names a drain victim (names are unique
    // per fleet, but a hand-written name could appear in two regions).
    if (!changed.has(region) && (drain.size === 0 || !view.nodes.some((n) => drain.has(n.name)))) {
      out[region] = view;
      continue;
    }
    let pool: Pool | undefined = view.pool;
    for (const d of decisions)
      if (d.region === region) pool = { weight: pool?.weight ?? 0, nodes: pool?.nodes ?? [], excluded: pool?.excluded ?? [], ...d.patch };
    const byName = new Map(view.nodes.map((n) => [n.name, n]));
    const nodes = (pool?.nodes ?? []).map((name): NodeObservation => {
      const seen = byName.get(name) ?? { name, state: 'unknown', stateSince: null, addedAt: now, cpu: null, rttMs: null, errorRate: null };
      return drain.has(name) ? { ...seen, state: 'drain', stateSince: now } : seen;
    });
    out[region] = { pool, nodes };
  }
  return out;
}

/** The self-protection rule for one service: who is down now (the next baseline), and its freeze. */
function protect(
  input: PassInput,
  service: string,
  regions: readonly string[],
  views: Record<string, PoolView>,
): { down: ReadonlySet<string>; frozen: Freeze | null } {
  const previouslyDown = input.memory.down.get(service);
  const { count, down } = countFleet(
    regions.map((r) => views[r]?.nodes ?? []),
    previouslyDown,
  );
  const frozen = evaluateFreeze(input.memory.frozen.get(service), count, input.health ?? HEALTHY, input.panicThreshold ?? DEFAULT_PANIC_THRESHOLD, input.now);
  // Most services have nobody down: keep the same empty set rather than a new one per pass.
  return { down: down.length === 0 && previouslyDown?.size === 0 ? previouslyDown : new Set(down), frozen };
}

const STALE = 'stale';

/** Runs the autoscaler, then GTM, for every declared service; returns the plan and the next memory. */
export function planPass(input: PassInput): PassPlan {
  const { declarations: decl, now, memory } = input;
  const decisions: Decision[] = [];
  const plan: Omit<PassPlan, 'nextMemory'> = { decisions, seconds: { autoscale: 0, gtm: 0 }, drain: [], removed: [], services: {} };
  const regionTotals = nodesPerRegion(input.pools);
  const seen = new FirstSeen(memory.firstSeen, now);
  const down = new Map<string, ReadonlySet<string>>();
  const frozenNext = new Map<string, Freeze>();
  let scaleDownSince: Map<string, number> | undefined;
  const shaped = shapesOf(decl);
  for (const shape of shaped.values()) {
    const { service, gtm, autoscale, regions, autoscaleRegions, gtmRegions } = shape;
    const holds = regionHolds(input.holds, service);
    let views: Record<string, PoolView> = {};
    for (const region of regions) {
      const pool = input.pools[region]?.[service];
      views[region] = { pool, nodes: observe(input.nodes, seen, pool?.nodes ?? []) };
    }
    const protection = protect(input, service, regions, views);
    down.set(service, protection.down);
    const frozen = protection.frozen;
    if (frozen) frozenNext.set(service, frozen);

    // The controllers' per-region records are built in plain loops, not through a closure per
    // record and region: this runs for every service of every pass.
    let scaled: AutoscaleResult | null = null;
    if (autoscale) {
      const pools: Record<string, PoolView> = {};
      const metrics: Record<string, RegionMetrics | 'stale'> = {};
      const otherServicesNodes: Record<string, number> = {};
      const lastChange: Record<string, number | undefined> = {};
      const wantedDownSince: Record<string, number | undefined> = {};
      const maxOrdinal: Record<string, number> = {};
      for (const r of autoscaleRegions) {
        const key = keyOf(shape, r);
        pools[r] = views[r] ?? { pool: undefined, nodes: [] };
        metrics[r] = input.metrics.get(key) ?? STALE;
        otherServicesNodes[r] = (regionTotals.get(r) ?? 0) - (input.pools[r]?.[service]?.nodes.length ?? 0);
        lastChange[r] = memory.lastScale.get(key);
        wantedDownSince[r] = memory.scaleDownSince.get(key);
        maxOrdinal[r] = input.highestOrdinal.get(key) ?? 0;
      }
      const t0 = process.hrtime.bigint();
      scaled = computeAutoscale({
        now,
        policy: autoscale,
        regionDefs: decl.regions,
        pools,
        metrics,
        otherServicesNodes,
        lastChange,
        scaleDownSince: wantedDownSince,
        maxOrdinal,
        holds,
        drainMs: Math.max(autoscale.global.drain, 2 * (gtm?.dns.ttl ?? 0) * 1000),
        frozen: frozen?.reason,
      });
      plan.seconds.autoscale += Number(process.hrtime.bigint() - t0) / 1e9;
      for (const region of Object.keys(scaled.scaleDownSince)) {
        const since = scaled.scaleDownSince[region];
        const key = keyOf(shape, region);
        if (since === memory.scaleDownSince.get(key)) continue;
        scaleDownSince ??= new Map(memory.scaleDownSince);
        if (since === undefined) scaleDownSince.delete(key);
        else scaleDownSince.set(key, since);
      }
      decisions.push(...scaled.decisions);
      plan.drain.push(...scaled.drain);
      plan.removed.push(...scaled.removed);
      views = patched(views, regions, scaled.decisions, scaled, now);
    }

    let weighted: GtmResult | null = null;
    if (gtm) {
      const pools: Record<string, PoolView> = {};
      const metrics: Record<string, RegionMetrics | 'stale'> = {};
      const lastWeightChange: Record<string, number | undefined> = {};
      for (const r of gtmRegions) {
        const key = keyOf(shape, r);
        pools[r] = views[r] ?? { pool: undefined, nodes: [] };
        metrics[r] = input.metrics.get(key) ?? STALE;
        lastWeightChange[r] = memory.lastWeight.get(key);
      }
      const t1 = process.hrtime.bigint();
      weighted = computeGtm({
        now,
        policy: gtm,
        pools,
        metrics,
        lastWeightChange,
        holds,
        frozen: frozen?.reason,
        trustMs: autoscale?.global.provision_timeout,
      });
      plan.seconds.gtm += Number(process.hrtime.bigint() - t1) / 1e9;
      decisions.push(...weighted.decisions);
    }
    plan.services[service] = { autoscale: scaled, gtm: weighted, frozen };
  }
  // Names the pass did not observe keep their time while a pool or a decision still lists them.
  for (const region of Object.keys(input.pools)) {
    const byService = input.pools[region] ?? {};
    for (const service of Object.keys(byService)) {
      if (shaped.get(service)?.regionSet.has(region)) continue;
      for (const name of byService[service]?.nodes ?? []) seen.carry(name);
    }
  }
  for (const d of decisions) for (const name of d.patch.nodes ?? []) seen.carry(name);
  // The baseline and freezes are kept for declared services only: one that comes back starts clean.
  const nextMemory: LoopMemory = { ...memory, firstSeen: seen.next, scaleDownSince: scaleDownSince ?? memory.scaleDownSince, down, frozen: frozenNext };
  return { ...plan, nextMemory };
}

/** Final pool patches per region and service, merged from the decisions in order. */
export function patchesByRegion(decisions: Decision[]): Record<string, Record<string, Decision['patch']>> {
  const out: Record<string, Record<string, Decision['patch']>> = {};
  for (const d of decisions) {
    const region = (out[d.region] ??= {});
    region[d.service] = { ...region[d.service], ...d.patch };
  }
  return out;
}
