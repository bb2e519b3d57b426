// One pass of both controllers over plain data: the autoscaler decides each
// region's node list first, then the GTM controller decides weights and
// exclusions on the pools as the autoscaler left them. No IO here: the
// reconciler gathers the inputs and carries out the result.
import { computeAutoscale, type AutoscaleResult } from '../autoscale/index.js';
import type { Declarations, Pool } from '../config/index.js';
import type { Decision, NodeObservation, PoolView } from '../decision/index.js';
import { computeGtm, type GtmResult } from '../gtm/index.js';
import type { RegionMetrics } from '../nodes/index.js';

/** What the loop remembers between passes (per service, per region). */
export interface LoopMemory {
  /** When the loop first saw each node name in a pool. */
  firstSeen: Map<string, number>;
  /** Per `service/region`: when the autoscaler last changed it. */
  lastScale: Map<string, number>;
  /** Per `service/region`: when GTM last changed its weight. */
  lastWeight: Map<string, number>;
  /** Per `service/region`: since when a scale-down has been wanted. */
  scaleDownSince: Map<string, number>;
}

/** A fresh, empty memory. */
export function emptyMemory(): LoopMemory {
  return { firstSeen: new Map(), lastScale: new Map(), lastWeight: new Map(), scaleDownSince: new Map() };
}

/** Everything a pass decides from. */
export interface PassInput {
  now: number;
  declarations: Declarations;
  /** Pools by region then service, read from the stack files at the head commit. */
  pools: Record<string, Record<string, Pool>>;
  /** Live node facts by name (absent: not registered). */
  nodes: (name: string) => Omit<NodeObservation, 'addedAt'> | undefined;
  /** Windowed metrics of a service's active nodes in a region. */
  regionMetrics: (service: string, region: string) => RegionMetrics | 'stale';
  /** Highest node number the registry has seen for (region, service). */
  highestOrdinal: (region: string, service: string) => number;
  /** Keys on hold, as `service/region:key`. */
  holds: ReadonlySet<string>;
  memory: LoopMemory;
}

/** What one service's controllers concluded. */
export interface ServicePlan {
  autoscale: AutoscaleResult | null;
  gtm: GtmResult | null;
}

/** The outcome of a pass: decisions in commit order, side effects, and status for the API. */
export interface PassPlan {
  decisions: Decision[];
  /** Seconds each controller spent deciding, for xplane_reconcile_duration_seconds. */
  seconds: { autoscale: number; gtm: number };
  /** Nodes to put into drain once the commit lands. */
  drain: string[];
  /** Nodes removed from `nodes`, to mark deleted once the commit lands. */
  removed: string[];
  services: Record<string, ServicePlan>;
}

const key = (service: string, region: string): string => `${service}/${region}`;

function observe(input: PassInput, names: string[]): NodeObservation[] {
  return names.map((name) => {
    let seen = input.memory.firstSeen.get(name);
    if (seen === undefined) input.memory.firstSeen.set(name, (seen = input.now));
    const fact = input.nodes(name);
    return fact
      ? { ...fact, addedAt: seen }
      : { name, state: 'unknown', stateSince: null, addedAt: seen, cpu: null, rttMs: null, errorRate: null };
  });
}

function regionHolds(holds: ReadonlySet<string>, service: string): Set<string> {
  const prefix = `${service}/`;
  return new Set([...holds].filter((h) => h.startsWith(prefix)).map((h) => h.slice(prefix.length)));
}

/** Builds per-region records over a fixed list of regions (a plain loop: it runs six times per service and pass). */
function byRegion(regions: readonly string[]): <T>(f: (region: string) => T) => Record<string, T> {
  return <T>(f: (region: string) => T): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const region of regions) out[region] = f(region);
    return out;
  };
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
function patched(views: Record<string, PoolView>, decisions: Decision[], result: AutoscaleResult | null, now: number): Record<string, PoolView> {
  const out: Record<string, PoolView> = {};
  const drain = new Set(result?.drain ?? []);
  for (const [region, view] of Object.entries(views)) {
    let pool: Pool | undefined = view.pool;
    for (const d of decisions) if (d.region === region) pool = { weight: pool?.weight ?? 0, nodes: pool?.nodes ?? [], excluded: pool?.excluded ?? [], ...d.patch };
    const byName = new Map(view.nodes.map((n) => [n.name, n]));
    const nodes = (pool?.nodes ?? []).map(
      (name): NodeObservation => {
        const seen = byName.get(name) ?? { name, state: 'unknown', stateSince: null, addedAt: now, cpu: null, rttMs: null, errorRate: null };
        return drain.has(name) ? { ...seen, state: 'drain', stateSince: now } : seen;
      },
    );
    out[region] = { pool, nodes };
  }
  return out;
}

/** Runs the autoscaler, then GTM, for every declared service. Updates `input.memory`. */
export function planPass(input: PassInput): PassPlan {
  const { declarations: decl, now, memory } = input;
  const plan: PassPlan = { decisions: [], seconds: { autoscale: 0, gtm: 0 }, drain: [], removed: [], services: {} };
  const services = [...new Set([...Object.keys(decl.gtm), ...Object.keys(decl.autoscale)])].sort();
  const regionTotals = nodesPerRegion(input.pools);
  for (const service of services) {
    const gtm = decl.gtm[service];
    const autoscale = decl.autoscale[service];
    const regions = [...new Set([...(gtm?.regions.map((r) => r.name) ?? []), ...Object.keys(autoscale?.regions ?? {})])].sort();
    const holds = regionHolds(input.holds, service);
    // Both controllers read the same metrics; the registry computes them once per (service, region) and pass.
    const metricsCache = new Map<string, RegionMetrics | 'stale'>();
    const metricsOf = (region: string): RegionMetrics | 'stale' => {
      let m = metricsCache.get(region);
      if (m === undefined) metricsCache.set(region, (m = input.regionMetrics(service, region)));
      return m;
    };
    let views: Record<string, PoolView> = {};
    for (const region of regions) {
      const pool = input.pools[region]?.[service];
      views[region] = { pool, nodes: observe(input, pool?.nodes ?? []) };
    }

    let scaled: AutoscaleResult | null = null;
    if (autoscale) {
      const pick = byRegion(Object.keys(autoscale.regions));
      const t0 = process.hrtime.bigint();
      scaled = computeAutoscale({
        now,
        policy: autoscale,
        regionDefs: decl.regions,
        pools: pick((r) => views[r] ?? { pool: undefined, nodes: [] }),
        metrics: pick(metricsOf),
        otherServicesNodes: pick((r) => (regionTotals.get(r) ?? 0) - (input.pools[r]?.[service]?.nodes.length ?? 0)),
        lastChange: pick((r) => memory.lastScale.get(key(service, r))),
        scaleDownSince: pick((r) => memory.scaleDownSince.get(key(service, r))),
        maxOrdinal: pick((r) => input.highestOrdinal(r, service)),
        holds,
        drainMs: Math.max(autoscale.global.drain, 2 * (gtm?.dns.ttl ?? 0) * 1000),
      });
      plan.seconds.autoscale += Number(process.hrtime.bigint() - t0) / 1e9;
      for (const [region, since] of Object.entries(scaled.scaleDownSince)) {
        if (since === undefined) memory.scaleDownSince.delete(key(service, region));
        else memory.scaleDownSince.set(key(service, region), since);
      }
      plan.decisions.push(...scaled.decisions);
      plan.drain.push(...scaled.drain);
      plan.removed.push(...scaled.removed);
      views = patched(views, scaled.decisions, scaled, now);
    }

    let weighted: GtmResult | null = null;
    if (gtm) {
      const pick = byRegion(gtm.regions.map((r) => r.name));
      const t1 = process.hrtime.bigint();
      weighted = computeGtm({
        now,
        policy: gtm,
        pools: pick((r) => views[r] ?? { pool: undefined, nodes: [] }),
        metrics: pick(metricsOf),
        lastWeightChange: pick((r) => memory.lastWeight.get(key(service, r))),
        holds,
      });
      plan.seconds.gtm += Number(process.hrtime.bigint() - t1) / 1e9;
      plan.decisions.push(...weighted.decisions);
    }
    plan.services[service] = { autoscale: scaled, gtm: weighted };
  }
  // Forget names that left every pool, so the memory stays as large as the fleet.
  const inPools = new Set(Object.values(input.pools).flatMap((byService) => Object.values(byService).flatMap((p) => p.nodes)));
  for (const d of plan.decisions) for (const name of d.patch.nodes ?? []) inPools.add(name);
  for (const name of memory.firstSeen.keys()) if (!inPools.has(name)) memory.firstSeen.delete(name);
  return plan;
}

/** Records in memory when regions changed, once the pass's commit has landed. */
export function rememberChanges(memory: LoopMemory, decisions: Decision[], now: number): void {
  for (const d of decisions) {
    if (d.controller === 'autoscale' && (d.kind === 'scale_up' || d.kind === 'scale_down')) memory.lastScale.set(key(d.service, d.region), now);
    if (d.controller === 'gtm' && d.patch.weight !== undefined && d.kind !== 'exclude' && d.kind !== 'include') memory.lastWeight.set(key(d.service, d.region), now);
  }
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
