// A replay: a metrics trace through the production controllers on a simulated
// clock. Each pass is what the reconciler does, minus the IO: the fleet's facts
// gathered by the production gatherFacts, one production planPass, and, when a
// pool would change, the commit "lands": the pools take the patches, the
// memory takes the change times (rememberChanges), victims drain and removed
// names leave (fleet.ts). A commit lands at its pass's time: the real one lands
// a push later, which the trace does not tell. A pass runs at every row's time, every reconcile
// interval between rows further apart than that, and when a node changes state
// (a booting node turns active, a commit drains or removes nodes: the loop's
// node-event trigger, at least a second after the last pass). Pure: nothing is
// read or written but the values passed in.
import type { Declarations } from '../config/index.js';
import { emptyMemory, gatherFacts, patchesByRegion, planPass, rememberChanges, type LoopMemory } from '../reconcile/index.js';
import { TraceError, declaredRegions, type TraceRow } from '../trace/index.js';
import { SimFleet } from './fleet.js';
import { Tally, type RegionTally } from './tally.js';

/** What a replay runs. */
export interface ReplayInput {
  /** The configuration whose controllers run (its gtm and autoscale policies, regions). */
  declarations: Declarations;
  /** The trace's rows, sorted by time (parseTrace gives them so). */
  rows: readonly TraceRow[];
  /** The trace's name, for errors. */
  file: string;
  /** How long a node the policy adds takes to turn active. */
  bootMs: number;
  /** The reconcile interval: between rows further apart, passes run this often. */
  intervalMs: number;
}

/** A decision the replay would have committed, with its time. */
export interface TimedDecision {
  at: number;
  controller: 'gtm' | 'autoscale';
  kind: string;
  service: string;
  region: string;
  /** The commit line. */
  summary: string;
}

/** What a replay did. */
export interface ReplayResult {
  start: number;
  end: number;
  /** Passes run. */
  passes: number;
  /** Every decision that landed, in commit order. */
  decisions: TimedDecision[];
  /** Figures per replayed (service, region), by service then region. */
  regions: RegionTally[];
  /** Services of the trace this configuration does not declare, and declared ones the trace has no rows of: neither is replayed. */
  notes: string[];
}

// The loop's minimum gap between two passes: a node event brings the next pass no closer than this.
const MIN_GAP_MS = 1_000;

/**
 * The trace's lanes per declared (service, region). Throws a TraceError naming the line of a row
 * whose region the configuration does not declare for its service, and the (service, region)
 * of a declared region without rows.
 */
function lanesOf(input: ReplayInput): { lanes: Map<string, TraceRow[]>; services: string[]; notes: string[] } {
  const declared = declaredRegions(input.declarations);
  const lanes = new Map<string, TraceRow[]>();
  const undeclared = new Map<string, number>();
  for (const row of input.rows) {
    const regions = declared.get(row.service);
    if (!regions) {
      if (!undeclared.has(row.service)) undeclared.set(row.service, row.line);
      continue;
    }
    if (!regions.includes(row.region)) {
      throw new TraceError(
        `${input.file}:${row.line}: region "${row.region}" is not declared for ${row.service} (its gtm and autoscale policies name ${regions.join(', ')})`,
      );
    }
    const k = `${row.service}/${row.region}`;
    const lane = lanes.get(k);
    if (lane) lane.push(row);
    else lanes.set(k, [row]);
  }
  const services = [...declared.keys()].filter((s) => [...lanes.keys()].some((k) => k.startsWith(`${s}/`)));
  for (const service of services) {
    for (const region of declared.get(service) ?? []) {
      if (!lanes.has(`${service}/${region}`)) {
        throw new TraceError(
          `${input.file}: no rows for ${service} in region ${region}, which the configuration declares (every region of a replayed service needs its load)`,
        );
      }
    }
  }
  if (services.length === 0)
    throw new TraceError(`${input.file}: no service of the trace is declared in the configuration (${[...undeclared.keys()].join(', ')})`);
  const notes = [
    ...[...undeclared].map(([s, line]) => `${s} (first on line ${line}) is not declared in this configuration: not replayed`),
    ...[...declared.keys()].filter((s) => !services.includes(s)).map((s) => `${s} has no rows in the trace: not replayed`),
  ];
  return { lanes, services, notes };
}

/** Only the replayed services' policies: a declared service without load would otherwise be scaled from nothing. */
function onlyServices(decl: Declarations, services: readonly string[]): Declarations {
  const pick = <T>(rec: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(rec).filter(([s]) => services.includes(s)));
  return { ...decl, gtm: pick(decl.gtm), autoscale: pick(decl.autoscale) };
}

/** Replays `input.rows` through planPass; see the file comment. */
export function replay(input: ReplayInput): ReplayResult {
  const { lanes, services, notes } = lanesOf(input);
  const declarations = onlyServices(input.declarations, services);
  const fleet = new SimFleet(declarations, lanes, input.bootMs);
  const tallies = new Map<string, Tally>();
  for (const [service, regions] of declaredRegions(declarations)) {
    for (const region of regions) tallies.set(`${service}/${region}`, new Tally(service, region, declarations.autoscale[service]));
  }
  const times = [...new Set(input.rows.filter((r) => services.includes(r.service)).map((r) => r.at))];
  const start = times[0] ?? 0;
  const end = times.at(-1) ?? start;
  const decisions: TimedDecision[] = [];
  let memory: LoopMemory = emptyMemory();
  let passes = 0;
  let nextRow = 0;
  for (let now = start; now <= end;) {
    while (nextRow < times.length && (times[nextRow] ?? Number.POSITIVE_INFINITY) <= now) nextRow += 1;
    fleet.advance(now);
    const moments = new Map<string, { demand: number | null; active: number }>();
    for (const [k, t] of tallies)
      moments.set(k, { demand: fleet.row(t.figures.service, t.figures.region)?.cpuDemand ?? null, active: fleet.active(t.figures.service, t.figures.region) });

    const pools = fleet.pools;
    const facts = gatherFacts(fleet, { now, declarations, pools, memory });
    const plan = planPass({ now, declarations, pools, holds: new Set(), memory, ...facts });
    passes += 1;
    memory = plan.nextMemory;
    const patches = patchesByRegion(plan.decisions);
    let trigger = Number.POSITIVE_INFINITY;
    if (changesAnything(pools, patches)) {
      // Draining and deleting nodes are registry transitions: they trigger a pass, no sooner than the minimum gap.
      if (plan.drain.length > 0 || plan.removed.length > 0) trigger = now + MIN_GAP_MS;
      memory = rememberChanges(memory, plan.decisions, now);
      fleet.land(patches, plan.drain, plan.removed, now);
      for (const d of plan.decisions) {
        decisions.push({ at: now, controller: d.controller, kind: d.kind, service: d.service, region: d.region, summary: d.summary });
        tallies.get(`${d.service}/${d.region}`)?.decision(d, now);
      }
    }

    const following = Math.min(
      times[nextRow] ?? Number.POSITIVE_INFINITY,
      gapFill(now, times[nextRow] ?? end, input.intervalMs),
      Math.max(fleet.nextBoot(now), now + MIN_GAP_MS),
      trigger,
    );
    const next = following > end && now < end ? end : following;
    for (const [k, t] of tallies) {
      const m = moments.get(k) ?? { demand: null, active: 0 };
      const { service, region } = t;
      t.hold({ ...m, nodes: fleet.pools[region]?.[service]?.nodes.length ?? 0, live: fleet.live(service, region) }, Math.min(next, end) - now);
    }
    if (now >= end) break;
    now = next;
  }
  return { start, end, passes, decisions, regions: [...tallies.values()].map((t) => t.figures), notes };
}

/** The next pass between rows: one reconcile interval on, unless the next row comes within half an interval of that. */
function gapFill(now: number, nextRow: number, intervalMs: number): number {
  const at = now + intervalMs;
  return at < nextRow - intervalMs / 2 ? at : Number.POSITIVE_INFINITY;
}

/** Whether the patches change any pool: a commit is made only when a value actually changes (contract §3). */
function changesAnything(pools: SimFleet['pools'], patches: ReturnType<typeof patchesByRegion>): boolean {
  for (const [region, byService] of Object.entries(patches)) {
    for (const [service, patch] of Object.entries(byService)) {
      const pool = pools[region]?.[service];
      if (!pool) return true;
      if (patch.weight !== undefined && patch.weight !== pool.weight) return true;
      if (patch.nodes && !sameList(patch.nodes, pool.nodes)) return true;
      if (patch.excluded && !sameList(patch.excluded, pool.excluded)) return true;
    }
  }
  return false;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
