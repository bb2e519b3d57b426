// One pass of both controllers over plain data: the autoscaler decides each
// region's node list first, then the GTM controller decides weights and
// exclusions on the pools as the autoscaler left them. Before either runs, the
// self-protection rule (safety.ts) may freeze a service: its controllers then
// add but take nothing away. No IO here: the reconciler gathers the inputs and
// carries out the result.
import { computeAutoscale, type AutoscaleResult } from '../autoscale/index.js';
import type { AutoscalePolicy, Declarations, GtmPolicy, Pool } from '../config/index.js';
import type { Decision, NodeObservation, PoolView } from '../decision/index.js';
import { computeGtm, type GtmResult } from '../gtm/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { DEFAULT_PANIC_THRESHOLD, HEALTHY, countFleet, evaluateFreeze, type ControlPlaneHealth, type Freeze } from './safety.js';

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
  /** Per service: its nodes that were `down` at the last pass, the panic rule's baseline. */
  down: Map<string, Set<string>>;
  /** Per service: its freeze, while one is in force. */
  frozen: Map<string, Freeze>;
}

/** A fresh, empty memory. */
export function emptyMemory(): LoopMemory {
  return { firstSeen: new Map(), lastScale: new Map(), lastWeight: new Map(), scaleDownSince: new Map(), down: new Map(), frozen: new Map() };
}

/** Everything a pass decides from. */
export interface PassInput {
  now: number;
  declarations: Declarations;
  /** Pools by region then service, read from the stack files at the head commit. */
  pools: Record<string, Record<string, Pool>>;
  /**
   * Live node facts by name (absent: not registered), with `addedAt` (when the loop first saw the
   * name, from its memory) passed through: one object per node and pass, as this runs for the whole fleet.
   */
  nodes: (name: string, addedAt: number) => NodeObservation | undefined;
  /** Windowed metrics of a service's active nodes in a region. */
  regionMetrics: (service: string, region: string) => RegionMetrics | 'stale';
  /** Highest node number the registry has seen for (region, service). */
  highestOrdinal: (region: string, service: string) => number;
  /** Keys on hold, as `service/region:key`. */
  holds: ReadonlySet<string>;
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

/** The loop memory's key for a service's region: `service/region`. */
export const memoryKey = (service: string, region: string): string => `${service}/${region}`;

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

function observe(input: PassInput, seen: FirstSeen, names: readonly string[]): NodeObservation[] {
  const out: NodeObservation[] = new Array<NodeObservation>(names.length);
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i] as string;
    const addedAt = seen.observe(name);
    out[i] = input.nodes(name, addedAt) ?? { name, state: 'unknown', stateSince: null, addedAt, cpu: null, rttMs: null, errorRate: null };
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
function patched(views: Record<string, PoolView>, regions: readonly string[], decisions: Decision[], result: AutoscaleResult | null, now: number): Record<string, PoolView> {
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

/** Applies the self-protection rule to one service: updates the memory's baseline and freeze, returns the freeze. */
function protect(input: PassInput, service: string, regions: readonly string[], views: Record<string, PoolView>): Freeze | null {
  const { memory } = input;
  const previouslyDown = memory.down.get(service);
  const { count, down } = countFleet(
    regions.map((r) => views[r]?.nodes ?? []),
    previouslyDown,
  );
  // Most services have nobody down: keep the same empty set rather than a new one per pass.
  memory.down.set(service, down.length === 0 && previouslyDown?.size === 0 ? previouslyDown : new Set(down));
  const frozen = evaluateFreeze(memory.frozen.get(service), count, input.health ?? HEALTHY, input.panicThreshold ?? DEFAULT_PANIC_THRESHOLD, input.now);
  if (frozen) memory.frozen.set(service, frozen);
  else memory.frozen.delete(service);
  return frozen;
}

/** One declared service as a pass walks it: derived from the declarations alone. */
interface ServiceShape {
  service: string;
  gtm: GtmPolicy | undefined;
  autoscale: AutoscalePolicy | undefined;
  /** Every region either controller names, sorted. */
  regions: string[];
  /** The same regions, to ask whether a pool is one the pass observes. */
  regionSet: ReadonlySet<string>;
  /** `service/region`, the loop memory's key, per region. */
  keys: Map<string, string>;
  /** The autoscale policy's regions, in its order. */
  autoscaleRegions: string[];
  /** The gtm policy's regions, in its order. */
  gtmRegions: string[];
}

// The declarations in force change only when a new commit is accepted, and a pass would
// otherwise rebuild these lists and 2,000 memory keys from them every time.
// (Declarations are never changed in place: a new commit brings new objects.)
const shapes = new WeakMap<Declarations, Map<string, ServiceShape>>();

/** Every declared service's shape, by name in sorted order. */
function shapesOf(decl: Declarations): Map<string, ServiceShape> {
  let out = shapes.get(decl);
  if (out) return out;
  const services = [...new Set([...Object.keys(decl.gtm), ...Object.keys(decl.autoscale)])].sort();
  out = new Map();
  for (const service of services) {
    const gtm = decl.gtm[service];
    const autoscale = decl.autoscale[service];
    const regions = [...new Set([...(gtm?.regions.map((r) => r.name) ?? []), ...Object.keys(autoscale?.regions ?? {})])].sort();
    out.set(service, {
      service,
      gtm,
      autoscale,
      regions,
      regionSet: new Set(regions),
      keys: new Map(regions.map((r) => [r, memoryKey(service, r)])),
      autoscaleRegions: Object.keys(autoscale?.regions ?? {}),
      gtmRegions: gtm?.regions.map((r) => r.name) ?? [],
    });
  }
  shapes.set(decl, out);
  return out;
}

/** Runs the autoscaler, then GTM, for every declared service. Updates `input.memory`. */
export function planPass(input: PassInput): PassPlan {
  const { declarations: decl, now, memory } = input;
  const plan: PassPlan = { decisions: [], seconds: { autoscale: 0, gtm: 0 }, drain: [], removed: [], services: {} };
  const regionTotals = nodesPerRegion(input.pools);
  const seen = new FirstSeen(memory.firstSeen, now);
  const shaped = shapesOf(decl);
  for (const { service, gtm, autoscale, regions, keys, autoscaleRegions, gtmRegions } of shaped.values()) {
    const holds = regionHolds(input.holds, service);
    // Both controllers read the same metrics; the registry computes them once per (service, region) and pass.
    const metricsCache = new Map<string, RegionMetrics | 'stale'>();
    let views: Record<string, PoolView> = {};
    for (const region of regions) {
      const pool = input.pools[region]?.[service];
      views[region] = { pool, nodes: observe(input, seen, pool?.nodes ?? []) };
    }
    const frozen = protect(input, service, regions, views);

    // The controllers' per-region records are built in plain loops, not through a closure per
    // record and region: this runs for every service of every pass.
    let scaled: AutoscaleResult | null = null;
    if (autoscale) {
      const pools: Record<string, PoolView> = {};
      const metrics: Record<string, RegionMetrics | 'stale'> = {};
      const otherServicesNodes: Record<string, number> = {};
      const lastChange: Record<string, number | undefined> = {};
      const scaleDownSince: Record<string, number | undefined> = {};
      const maxOrdinal: Record<string, number> = {};
      for (const r of autoscaleRegions) {
        const key = keys.get(r) ?? memoryKey(service, r);
        pools[r] = views[r] ?? { pool: undefined, nodes: [] };
        let m = metricsCache.get(r);
        if (m === undefined) metricsCache.set(r, (m = input.regionMetrics(service, r)));
        metrics[r] = m;
        otherServicesNodes[r] = (regionTotals.get(r) ?? 0) - (input.pools[r]?.[service]?.nodes.length ?? 0);
        lastChange[r] = memory.lastScale.get(key);
        scaleDownSince[r] = memory.scaleDownSince.get(key);
        maxOrdinal[r] = input.highestOrdinal(r, service);
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
        scaleDownSince,
        maxOrdinal,
        holds,
        drainMs: Math.max(autoscale.global.drain, 2 * (gtm?.dns.ttl ?? 0) * 1000),
        frozen: frozen?.reason,
      });
      plan.seconds.autoscale += Number(process.hrtime.bigint() - t0) / 1e9;
      for (const region of Object.keys(scaled.scaleDownSince)) {
        const since = scaled.scaleDownSince[region];
        const key = keys.get(region) ?? memoryKey(service, region);
        if (since === undefined) memory.scaleDownSince.delete(key);
        else memory.scaleDownSince.set(key, since);
      }
      plan.decisions.push(...scaled.decisions);
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
        pools[r] = views[r] ?? { pool: undefined, nodes: [] };
        let m = metricsCache.get(r);
        if (m === undefined) metricsCache.set(r, (m = input.regionMetrics(service, r)));
        metrics[r] = m;
        lastWeightChange[r] = memory.lastWeight.get(keys.get(r) ?? memoryKey(service, r));
      }
      const t1 = process.hrtime.bigint();
      weighted = computeGtm({ now, policy: gtm, pools, metrics, lastWeightChange, holds, frozen: frozen?.reason, trustMs: autoscale?.global.provision_timeout });
      plan.seconds.gtm += Number(process.hrtime.bigint() - t1) / 1e9;
      plan.decisions.push(...weighted.decisions);
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
  for (const d of plan.decisions) for (const name of d.patch.nodes ?? []) seen.carry(name);
  memory.firstSeen = seen.next;
  // A service no longer declared starts from a clean baseline if it comes back.
  for (const service of memory.down.keys()) if (!shaped.has(service)) memory.down.delete(service);
  for (const service of memory.frozen.keys()) if (!shaped.has(service)) memory.frozen.delete(service);
  return plan;
}

/** A decision's controller and kind: all a decision record keeps that says what it changed. */
type DecisionKind = Pick<Decision, 'controller' | 'kind'>;

/** True for the decisions that start a region's autoscale cooldown: scale ups and downs, not removals or replacements. */
export function startsCooldown(d: DecisionKind): boolean {
  return d.controller === 'autoscale' && (d.kind === 'scale_up' || d.kind === 'scale_down');
}

/**
 * True for the decisions that set a region's weight and so start its GTM min_change_interval:
 * `weight` and `create_pool`. Judged by kind alone, so the decision log (which keeps no patch)
 * gives the same times as a pass: the only other GTM decision whose patch carries a weight is a
 * `forget` in a pass that also made a `weight` decision for the region, at the same time.
 */
export function setsWeight(d: DecisionKind): boolean {
  return d.controller === 'gtm' && (d.kind === 'weight' || d.kind === 'create_pool');
}

/** Records in memory when regions changed, once the pass's commit has landed. */
export function rememberChanges(memory: LoopMemory, decisions: Decision[], now: number): void {
  for (const d of decisions) {
    if (startsCooldown(d)) memory.lastScale.set(memoryKey(d.service, d.region), now);
    if (setsWeight(d)) memory.lastWeight.set(memoryKey(d.service, d.region), now);
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
