// The working state of one autoscale pass, and the few changes the phases make
// to it. Each region has a RegionState; the phases (compute.ts lists them in
// order) read and change it in turn, and the last one prints it as the
// region's plan. Nothing here looks at the rules beyond counting: the phases
// decide, these helpers only keep the pool, its counts and its decisions in
// step.
import type { AutoscalePolicy, AutoscaleRegion, RegionDef } from '../config/index.js';
import type { AutoscaleDecision, NodeObservation } from '../decision/index.js';
import { NameSequence } from './node-names.js';
import { Observations } from './observations.js';
import { changeText, type CapBound, type Cause, type Change, type HeldBack, type Reading, type RegionReason } from './reasons.js';
import type { AutoscaleInput } from './types.js';

/** Which way a region goes, or wants to. */
export type Direction = 'up' | 'down' | 'hold';

/** What the CPU rule wants of a region, before bounds, cooldown and the other regions have a say. */
export interface Want {
  dir: Direction;
  /** scale_up_step or scale_down_step; 0 for hold. */
  step: number;
  /** What the rule read: the cause of a rule scale and the head of the region's reason. */
  reading: Reading;
}

/**
 * One region during a pass. The first group is fixed when the pass starts; `start` and `want` are
 * set once, after finished drains are removed; the pool and its counts follow every decision; the
 * outcome is what the phases concluded, printed at the end as the region's RegionPlan.
 */
export interface RegionState {
  // Fixed for the pass.
  readonly region: string;
  readonly rule: AutoscaleRegion;
  /** `<region>:nodes` or `<region>:excluded` is on hold: no decision here at all. */
  readonly held: boolean;
  /** cost_per_node_hour; Infinity when unknown (the most expensive). */
  readonly cost: number;
  /** The most nodes this service may have here: max_nodes and the region quota, at least 0. */
  readonly cap: number;
  /** Which of the two sets `cap`, for reasons. */
  readonly capBound: CapBound;
  /** Cooldown left since the last scale up or down (ms); 0 when none. */
  readonly cooldownLeft: number;
  readonly cpu: number | 'stale';
  /** Hands out new node names (names only grow). */
  readonly names: NameSequence;
  /** The region's observations by name; a victim's turns to `drain` once chosen. */
  readonly obs: Observations;

  // Set once, after finished drains are removed.
  /** Live nodes before the pass's size changes: RegionPlan.current. */
  start: number;
  want: Want;

  // The pool as the decisions so far leave it.
  nodes: string[];
  /** Always a subset of `nodes`. */
  excluded: string[];
  /** Nodes neither draining nor deleted: the region's size. */
  live: number;
  /** Live nodes unknown or warm for less than provision_timeout: capacity on the way. */
  coming: number;
  /** Nodes in drain, this pass's victims included. */
  draining: string[];

  // The outcome.
  /** A scale up or down was decided in this pass. */
  changed: boolean;
  /** Which way the region had to go (the rule, or a bound), whether or not it went. */
  wanted: Direction;
  /** Why it went or did not; undefined when the rule's reading says it all. */
  reason: RegionReason | undefined;
  /** What a freeze held back here. */
  heldBack: HeldBack[] | undefined;
  decisions: AutoscaleDecision[];
}

/** What the phases share across the regions of one pass. */
export interface PassState {
  readonly input: AutoscaleInput;
  /** Every region of the policy, by name. */
  readonly regions: RegionState[];
  /** How many regions have a live node (min_regions, max_regions): counted once finished drains are gone, then kept current. */
  withNodes: number;
  /** Scale-down victims to put into `drain` (the executor tells the registry). */
  readonly drain: string[];
  /** Nodes removed from `nodes` that the executor marks deleted. */
  readonly removed: string[];
  /** The stabilization state for the next pass. */
  readonly scaleDownSince: Record<string, number | undefined>;
}

// Policies are never changed in place (a new commit brings new objects), and every pass would
// otherwise sort the same region names again.
const sortedRegions = new WeakMap<AutoscalePolicy, string[]>();

/** A pass over the input's regions, each prepared and counted; every region starts with no decision and nothing wanted. */
export function startPass(input: AutoscaleInput): PassState {
  const { policy } = input;
  let names = sortedRegions.get(policy);
  if (!names) sortedRegions.set(policy, (names = Object.keys(policy.regions).sort()));
  const regions: RegionState[] = [];
  for (const region of names) {
    const rule = policy.regions[region];
    if (rule) regions.push(prepareRegion(input, region, rule));
  }
  return { input, regions, withNodes: 0, drain: [], removed: [], scaleDownSince: {} };
}

// Until wantByRule sets each region's own, before any phase reads it.
const HOLD: Want = { dir: 'hold', step: 0, reading: { kind: 'metrics_missing', then: 'hold' } };

function prepareRegion(input: AutoscaleInput, region: string, rule: AutoscaleRegion): RegionState {
  const { now, policy } = input;
  const view = input.pools[region];
  const nodes = [...(view?.pool?.nodes ?? [])];
  // excluded ⊆ nodes: a stray name would make a node the pool no longer has.
  const excluded = (view?.pool?.excluded ?? []).filter((n) => nodes.includes(n));
  const def: RegionDef | undefined = input.regionDefs[region];
  const quota = def?.max_nodes === undefined ? Infinity : def.max_nodes - (input.otherServicesNodes[region] ?? 0);
  const metrics = input.metrics[region];
  const last = input.lastChange[region];
  const r: RegionState = {
    region,
    rule,
    held: input.holds.size > 0 && (input.holds.has(`${region}:nodes`) || input.holds.has(`${region}:excluded`)),
    cost: def?.cost_per_node_hour ?? Infinity,
    cap: Math.max(0, Math.min(rule.max_nodes, quota)),
    capBound: quota < rule.max_nodes ? { by: 'quota', value: def?.max_nodes ?? 0 } : { by: 'max_nodes', value: rule.max_nodes },
    cooldownLeft: last === undefined ? 0 : Math.max(0, last + policy.global.cooldown - now),
    cpu: metrics === undefined || metrics === 'stale' ? 'stale' : metrics.cpu,
    // The input's own lists, which this pass never changes (it works on copies).
    names: new NameSequence(region, policy.service, input.maxOrdinal[region] ?? 0, view?.pool?.nodes ?? [], view?.pool?.excluded ?? []),
    obs: new Observations(view?.pool?.nodes ?? [], view?.nodes ?? [], now),
    start: 0,
    want: HOLD,
    nodes,
    excluded,
    live: 0,
    coming: 0,
    draining: [],
    changed: false,
    wanted: 'hold',
    reason: undefined,
    heldBack: undefined,
    decisions: [],
  };
  recount(input, r);
  return r;
}

/** A node that still counts in the size: neither draining nor deleted. */
export const isLive = (o: NodeObservation): boolean => o.state !== 'drain' && o.state !== 'deleted';

/** Counts the region's live, coming and draining nodes afresh from its pool. */
export function recount(input: AutoscaleInput, r: RegionState): void {
  const timeout = input.policy.global.provision_timeout;
  r.live = 0;
  r.coming = 0;
  r.draining = [];
  for (const n of r.nodes) {
    const o = r.obs.get(n);
    if (!o) continue;
    if (o.state === 'drain') r.draining.push(n);
    if (!isLive(o)) continue;
    r.live += 1;
    if ((o.state === 'unknown' || o.state === 'warm') && input.now - o.addedAt < timeout) r.coming += 1;
  }
}

/** Takes `name` out of the region's `nodes` and `excluded` (new arrays: earlier decisions keep their patches). */
export function dropName(r: RegionState, name: string): void {
  r.nodes = r.nodes.filter((n) => n !== name);
  r.excluded = r.excluded.filter((n) => n !== name);
}

/** Adds a decision for `change`, whose patch is the region's pool as it is now. */
export function record(pass: PassState, r: RegionState, change: Change, why: AutoscaleDecision['why']): void {
  const service = pass.input.policy.service;
  r.decisions.push({
    controller: 'autoscale',
    service,
    region: r.region,
    kind: change.kind,
    summary: `autoscale: ${service} ${r.region} ${changeText(change)}`,
    why,
    patch: { nodes: [...r.nodes], excluded: [...r.excluded] },
  });
}

/** Scales the region up by `count` new names, each also excluded until GTM has seen it active. */
export function addNodes(pass: PassState, r: RegionState, count: number, cause: Cause, why: AutoscaleDecision['why']): void {
  const from = r.live;
  const added: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = r.names.take();
    added.push(name);
    r.nodes.push(name);
    // A new node takes traffic only after GTM has seen it active and lifted the exclusion.
    r.excluded.push(name);
  }
  if (from === 0) pass.withNodes += 1;
  r.live += count;
  r.changed = true;
  r.wanted = 'up';
  r.reason = { kind: 'scaled_up', cause, from, to: r.live, added };
  record(pass, r, { kind: 'scale_up', from, to: r.live, cause }, { ...why, from, to: r.live, added: added.join(',') });
}

/** Notes what a freeze kept this region from doing. */
export function holdBack(r: RegionState, what: HeldBack): void {
  (r.heldBack ??= []).push(what);
}

/** max_regions: an empty region may not get nodes once that many regions have some. */
export function upFromZeroBlocked(pass: PassState, r: RegionState): boolean {
  return r.live === 0 && pass.withNodes >= pass.input.policy.global.max_regions;
}

/** The region's reason so far: what a phase said, or else the rule's reading. */
export function reasonSoFar(r: RegionState): RegionReason {
  return r.reason ?? { kind: 'reading', reading: r.want.reading };
}
