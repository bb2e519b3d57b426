// The GTM controller's decision: from one service's traffic policy, its pools
// in every region stack and what the registry observes of their nodes, the
// weight and the excluded nodes each pool should have, as Decision values. No
// IO and no clock (`now` is an input): the loop reads, this decides, the git
// writer writes.
//
// Weight of one region (all factors in [0, 1]; see weight.ts):
//   desired            = names in pool.nodes that should be serving: active or down. Nodes still joining
//                        (unknown, warm) and nodes leaving (drain, deleted) don't count, so a scale-up does
//                        not lower the weight of the region that is growing.
//   ready              = names in pool.nodes whose state is active
//   (a serving node on trust — see exclusion.ts — counts in neither: the registry has no opinion on it yet)
//   health_ratio       = ready / desired, 0 when desired is 0, at most 1
//   ready_nodes_factor = 0 when ready < min_ready_nodes, else 1
//   latency_factor     = (rttMs > rtt_threshold ? rtt_factor : 1) × (errorRate > error_rate_threshold ? error_factor : 1);
//                        1 for a missing reading or stale metrics (no data is not bad data)
//   computed           = base × health_ratio × ready_nodes_factor × latency_factor, to the nearest 5% of base,
//                        then to an integer: Math.round(Math.round(product × 20) × base / 20); base 0 → 0
//   e.g. base 100, 2/3 ready → 13 steps → 65; base 10, 1/3 ready → 7 steps → 3.5 → 4; base 100, rtt high → 70.
//
// Across regions, in this order:
//   1. Fail static: if no region has a ready node, nothing changes (alert `no_ready_nodes`): a control plane
//      that sees no healthy node anywhere is more likely blind than right.
//   2. Never all-zero: if every region's weight would be 0 (a held region counts with the weight it holds),
//      each region with `fallback: true` and at least one ready node gets its base weight.
//   3. Holds: `<region>:weight` / `<region>:excluded` in holds → no decision for that key.
//   4. No flapping: a weight change that takes a region into or out of rotation (0 → >0, >0 → 0) applies at
//      once; any other applies only when min_change_interval has passed since the last change, else waits.
//   5. Excluded = names in pool.nodes whose state is not active, in pool.nodes order; always a subset of nodes,
//      except that exclusion needs evidence (contract §3, exclusion.ts): a serving node that is unknown, warm or
//      down only in the store's word stays in DNS on trust for provision_timeout. Exclusion changes apply at
//      once, one decision per node.
//   5b. Nor does a weight go down because nodes are unverified: while a region has nodes serving on trust, its
//      weight drops no lower than it would with them counted as ready (and never rises for that reason).
//   6. Frozen (self-protection, src/reconcile/safety.ts): no node goes newly into excluded (include and forget
//      still apply), and no weight goes down because nodes went down: a region's weight may drop only as far as
//      it would with its down nodes counted as ready (latency and error rate still lower it). Increases apply.
// The words of every reason and weight cause are typed values (reasons.ts), printed by one function there.
import type { GtmPolicy, GtmRegion, Pool } from '../config/index.js';
import type { GtmDecision, GtmKind, PoolPatch, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { exclusionSteps, judgeNode, observationLookup, orderExcluded, uniqueNames, type Judge, type NodeVerdict } from './exclusion.js';
import { causeText, reasonText, type ExcludedNote, type RegionReason, type WeightCause, type WeightOutcome } from './reasons.js';
import { assessWeight, type WeightAssessment, type WeightFactors } from './weight.js';

export type { WeightFactors } from './weight.js';

/** Everything one GTM pass decides from, for one service. */
export interface GtmInput {
  now: number;
  policy: GtmPolicy;
  /** One entry per region in policy.regions (by name). */
  pools: Record<string, PoolView>;
  /** Windowed rtt/error rate over each region's active nodes; 'stale' when none reported. */
  metrics: Record<string, RegionMetrics | 'stale'>;
  /** When each region's weight last changed (epoch ms), if known. */
  lastWeightChange: Record<string, number | undefined>;
  /** Keys on human-override hold, as `${region}:weight` or `${region}:excluded`. */
  holds: ReadonlySet<string>;
  /** Set (to the reason, e.g. `panic`) while self-protection freezes the service: rule 6. */
  frozen?: string;
  /** How long a serving node may stay unverified before it leaves DNS (provision_timeout; default 10 min). */
  trustMs?: number;
}

/** provision_timeout's default: a serving node unverified this long leaves DNS. */
export const DEFAULT_TRUST_MS = 10 * 60_000;

/** A node serving on trust, for the status API: unverified since when, and until when it may stay. */
export interface UnverifiedNode {
  node: string;
  state: NodeVerdict['state'];
  since: number;
  until: number;
}

/** What the controller thinks of one region, for the status API and metrics. */
export interface RegionStatus {
  /** The pool's weight after this pass (the current one when held, waiting or failing static; 0 when there is no pool). */
  weight: number;
  /** What the factors alone give, before fallback, holds and the rate limit. */
  computed: number;
  factors: WeightFactors;
  ready: number;
  desired: number;
  /** The pool's excluded nodes after this pass. */
  excluded: string[];
  /** A human override holds the weight or the excluded list. */
  held: boolean;
  /** Nodes serving on trust: in DNS, not yet seen to work or to fail. */
  unverified: UnverifiedNode[];
  /** Why the weight is what it is, in words. */
  reason: string;
}

/** One GTM pass's outcome: the decisions to commit and how each region stands. */
export interface GtmResult {
  decisions: GtmDecision[];
  regions: Record<string, RegionStatus>;
  /** Set when no region has a ready node: weights and exclusions are left as they are (fail static). */
  alert: 'no_ready_nodes' | null;
}

interface RegionPlan {
  region: GtmRegion;
  pool: Pool | undefined;
  nodes: string[];
  /** The verdict on a name in `nodes`, given whether it is serving now (not in `excluded`). */
  verdictOf: (name: string, serving: boolean) => NodeVerdict;
  ready: number;
  desired: number;
  down: number;
  unverified: UnverifiedNode[];
  assessment: WeightAssessment;
  weightHeld: boolean;
  excludedHeld: boolean;
}

/** A region's wanted weight and why. */
interface Target {
  weight: number;
  cause: WeightCause;
}

/**
 * The GTM decisions of one pass for one service. Per region, weight = base × health_ratio ×
 * ready_nodes_factor × latency_factor quantized to 5% of base (see the file header for each
 * factor); then fail static when no node is ready anywhere, fallback to base for `fallback`
 * regions with a ready node when every region would be 0, holds, and a min_change_interval
 * rate limit on changes that keep a region in rotation. Excluded = nodes not `active`.
 */
export function computeGtm(input: GtmInput): GtmResult {
  const plans = input.policy.regions.map((region) => planRegion(input, region));

  if (!plans.some((p) => p.ready > 0)) return failStatic(plans);

  const wanted = plans.map((p): Target => trustedTarget(input, p, input.frozen === undefined ? computedTarget(p) : frozenTarget(input, p)));
  // A held region counts with the weight a human put there (a frozen one with the weight it
  // keeps): if that keeps it in rotation, DNS is not all-zero and no fallback is needed.
  const allZero = plans.every((p, i) => (p.weightHeld && p.pool ? p.pool.weight : (wanted[i]?.weight ?? 0)) === 0);

  const decisions: GtmDecision[] = [];
  const regions: Record<string, RegionStatus> = {};
  for (const [i, plan] of plans.entries()) {
    const fallback = allZero && plan.region.fallback && plan.ready >= 1 && plan.region.weight > 0;
    const want = wanted[i] ?? computedTarget(plan);
    const target = fallback ? plan.region.weight : want.weight;
    const cause: WeightCause = fallback ? { kind: 'fallback' } : want.cause;
    const out = decideRegion(input, plan, target, cause, fallback);
    decisions.push(...out.decisions);
    regions[plan.region.name] = out.status;
  }
  return { decisions, regions, alert: null };
}

/** What the factors alone give, in their own words. */
function computedTarget(p: RegionPlan): Target {
  return { weight: p.assessment.computed, cause: { kind: 'factors', words: p.assessment.cause } };
}

// Rule 6: while frozen, the weight goes down no further than it would with the region's down
// nodes counted as ready. Down nodes never raise it: the floor is at most the current weight.
function frozenTarget(input: GtmInput, p: RegionPlan): Target {
  const computed = p.assessment.computed;
  const current = p.pool?.weight;
  if (current === undefined || computed >= current) return computedTarget(p);
  const asIfUp = assessWeight(p.region, input.policy.latency, { ready: p.ready + p.down, desired: p.desired }, input.metrics[p.region.name] ?? 'stale');
  const floor = Math.min(current, asIfUp.computed);
  if (floor <= computed) return computedTarget(p);
  const frozen = input.frozen ?? '';
  if (floor === current) return { weight: current, cause: { kind: 'frozen_keeps', frozen, keeps: current, wants: computed, words: p.assessment.cause } };
  return { weight: floor, cause: { kind: 'frozen_floor', frozen, words: asIfUp.cause } };
}

// Rule 5b: nodes serving on trust never lower the weight. The floor is what the region would get
// with them counted as ready, and never above the current weight: not knowing raises nothing either.
function trustedTarget(input: GtmInput, p: RegionPlan, want: Target): Target {
  const current = p.pool?.weight;
  const trusted = p.unverified.length;
  if (trusted === 0 || current === undefined || want.weight >= current) return want;
  const asIfReady = assessWeight(
    p.region,
    input.policy.latency,
    { ready: p.ready + trusted, desired: p.desired + trusted },
    input.metrics[p.region.name] ?? 'stale',
  );
  const floor = Math.min(current, asIfReady.computed);
  if (floor <= want.weight) return want;
  const onTrust = p.unverified.map((u) => u.node);
  if (floor === current) return { weight: current, cause: { kind: 'trust_keeps', keeps: current, onTrust, wants: want.weight, cause: want.cause } };
  return { weight: floor, cause: { kind: 'trust_floor', words: asIfReady.cause, onTrust } };
}

function planRegion(input: GtmInput, region: GtmRegion): RegionPlan {
  const view = input.pools[region.name];
  const pool = view?.pool;
  const nodes = pool?.nodes ?? [];
  // A name the registry has no observation for is treated like one no agent registered under.
  const judge: Judge = { now: input.now, trustMs: input.trustMs ?? DEFAULT_TRUST_MS, observe: observationLookup(view?.nodes ?? []) };
  const verdictOf = (name: string, serving: boolean): NodeVerdict => judgeNode(name, serving, judge);
  const excluded = pool?.excluded ?? [];
  let desired = 0;
  let ready = 0;
  let down = 0;
  const unverified: UnverifiedNode[] = [];
  for (const name of uniqueNames(nodes)) {
    const v = verdictOf(name, !excluded.includes(name));
    if (v.trustedUntil !== undefined) {
      unverified.push({ node: name, state: v.state, since: v.unverifiedSince ?? input.now, until: v.trustedUntil });
      continue;
    }
    if (v.state === 'active') ready += 1;
    if (v.state === 'down') down += 1;
    if (v.state === 'active' || v.state === 'down') desired += 1;
  }
  const metrics = input.metrics[region.name] ?? 'stale';
  const held = input.holds.size > 0;
  return {
    region,
    pool,
    nodes,
    verdictOf,
    ready,
    desired,
    down,
    unverified,
    assessment: assessWeight(region, input.policy.latency, { ready, desired }, metrics),
    weightHeld: held && input.holds.has(`${region.name}:weight`),
    excludedHeld: held && input.holds.has(`${region.name}:excluded`),
  };
}

function failStatic(plans: RegionPlan[]): GtmResult {
  const regions: Record<string, RegionStatus> = {};
  for (const p of plans) {
    regions[p.region.name] = {
      ...statusBase(p),
      weight: p.pool?.weight ?? 0,
      excluded: [...(p.pool?.excluded ?? [])],
      reason: reasonText({ kind: 'fail_static', ready: p.ready, desired: p.desired }),
    };
  }
  return { decisions: [], regions, alert: 'no_ready_nodes' };
}

function statusBase(p: RegionPlan): Pick<RegionStatus, 'computed' | 'factors' | 'ready' | 'desired' | 'held' | 'unverified'> {
  return {
    computed: p.assessment.computed,
    factors: p.assessment.factors,
    ready: p.ready,
    desired: p.desired,
    held: p.weightHeld || p.excludedHeld,
    unverified: p.unverified,
  };
}

interface RegionOutcome {
  decisions: GtmDecision[];
  status: RegionStatus;
}

function gtmDecision(service: string, region: string, kind: GtmKind, what: string, because: string, why: GtmDecision['why'], patch: PoolPatch): GtmDecision {
  return { controller: 'gtm', service, region, kind, summary: `gtm: ${service} ${region} ${what} (${because})`, why, patch };
}

// The region's status after this pass.
function regionStatus(p: RegionPlan, weight: number, excluded: string[], reason: RegionReason): RegionStatus {
  return { ...statusBase(p), weight, excluded, reason: reasonText(reason) };
}

// Built only for a decision: most regions of most passes change nothing.
function regionWhy(p: RegionPlan, fallback: boolean): GtmDecision['why'] {
  return { ...p.assessment.why, ...(fallback ? { fallback: true } : {}) };
}

function decideRegion(input: GtmInput, p: RegionPlan, target: number, cause: WeightCause, fallback: boolean): RegionOutcome {
  const service = input.policy.service;
  const region = p.region.name;

  if (!p.pool) {
    // A human who deleted the pool entry holds its keys; recreating it would undo that.
    if (p.weightHeld || p.excludedHeld) {
      return { decisions: [], status: regionStatus(p, 0, [], { kind: 'no_pool_held', cause }) };
    }
    const patch: PoolPatch = { weight: target, nodes: [], excluded: [] };
    return {
      decisions: [
        gtmDecision(service, region, 'create_pool', `create pool weight ${target}`, 'not in the stack yet', { ...regionWhy(p, fallback), to: target }, patch),
      ],
      status: regionStatus(p, target, [], { kind: 'pool_created', cause }),
    };
  }

  const decisions: GtmDecision[] = [];
  const patch: PoolPatch = {};
  const current = p.pool.weight;
  let weight = current;
  let outcome: WeightOutcome;
  if (p.weightHeld) {
    outcome = { kind: 'held', keeps: current, wants: target, cause };
  } else if (target === current) {
    outcome = { kind: 'wanted', cause };
  } else {
    const urgent = (current === 0) !== (target === 0);
    const last = input.lastWeightChange[region];
    const interval = input.policy.global.min_change_interval;
    if (urgent || last === undefined || input.now - last >= interval) {
      weight = target;
      patch.weight = target;
      decisions.push(
        gtmDecision(
          service,
          region,
          'weight',
          `weight ${current}→${target}`,
          causeText(cause),
          { ...regionWhy(p, fallback), from: current, to: target, urgent },
          { ...patch },
        ),
      );
      outcome = { kind: 'wanted', cause };
    } else {
      outcome = { kind: 'waiting', agoMs: input.now - last, intervalMs: interval, keeps: current, wants: target, cause };
    }
  }

  let excluded = p.pool.excluded.slice();
  let note: ExcludedNote | undefined;
  if (p.excludedHeld) {
    note = { kind: 'held' };
  } else {
    const all = exclusionSteps(p.nodes, p.pool.excluded, p.verdictOf);
    // Rule 6: a frozen service takes no node out of DNS; it may still put nodes back.
    const steps = input.frozen === undefined ? all : all.filter((s) => s.kind !== 'exclude');
    if (steps.length < all.length) {
      const kept = all.filter((s) => s.kind === 'exclude');
      note = { kind: 'frozen', frozen: input.frozen ?? '', kept };
    }
    if (steps.length > 0) {
      const set = new Set(p.pool.excluded);
      for (const step of steps) {
        if (step.kind === 'exclude') set.add(step.node);
        else set.delete(step.node);
        excluded = orderExcluded(set, p.nodes, p.pool.excluded);
        patch.excluded = excluded;
        decisions.push(
          gtmDecision(
            service,
            region,
            step.kind,
            `${step.kind} ${step.node}`,
            step.because,
            { node: step.node, state: step.state },
            { ...patch, excluded: [...excluded] },
          ),
        );
      }
    }
  }

  return { decisions, status: regionStatus(p, weight, excluded, { kind: 'pool', weight: outcome, excluded: note }) };
}
