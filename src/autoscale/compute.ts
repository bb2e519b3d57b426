// The autoscaler's decision, as a value: from the policy, each region's pool and
// what its nodes report, it returns the changes to `nodes`/`excluded` with their
// reasons, and the caller (the executor) does the IO. No clock, no store, no Git:
// `now` and every piece of state are inputs, so a pass can be replayed in a test.
// This file runs the phases in order; each rule below names the file that has it.
//
// Rules, per region of the policy (contract §2, §3):
// - Counting (pass-state.ts). `draining` = nodes in state `drain`; `live` = every
//   other node still meant to exist (the current size). `coming` = live nodes in
//   state `unknown` or `warm` added less than `provision_timeout` ago: capacity on
//   the way, like cluster-autoscaler's upcoming nodes. Older ones failed to
//   provision; they still count in the size (so the loop does not stack up
//   machines) and are among the first scale-down victims.
// - Removal (removals.ts). A `drain` node whose `stateSince + drainMs <= now` leaves
//   `nodes` and `excluded` (kind `remove`), whatever the cooldown. A node in `nodes`
//   whose state is already `deleted` leaves too (a pass whose commit was lost is redone).
// - Replacement (removals.ts). A node `down` for `replace_after` or longer is removed
//   and a new name appended to `nodes` and `excluded` in the same decision (kind
//   `replace`), whatever the cooldown. A node chosen as a scale-down victim is not
//   replaced, nor one whose `down` is only the store's word from before this term
//   (`loaded`).
// - The rule (rule-want.ts). CPU > scale_up_cpu wants up by scale_up_step; CPU <
//   scale_down_cpu wants down by scale_down_step; else hold. Stale metrics hold under
//   `on_missing_metrics: hold` and never scale down; under `scale_up` they want up,
//   but only in a region that has live nodes (an empty region has nothing to
//   measure, and scaling it up would defeat min_nodes 0 and max_regions).
// - Coming capacity blocks a further scale up of the region; the cooldown
//   (`lastChange + cooldown > now`) blocks the rule's scale up and down; a scale
//   down also needs the down-want to have lasted `scale_down_stabilization`
//   (`scaleDownSince`, carried between passes, tracks only the CPU rule).
//   (scale-up.ts, scale-down.ts, rule-want.ts)
// - Bounds (scale-down.ts, scale-up.ts). Below min_nodes or above max_nodes (a
//   human edited the policy) the region is brought into bounds at once, ignoring
//   cooldown and stabilization. Every scale up is capped by max_nodes and by the
//   region quota (`regionDefs[r].max_nodes` ≥ other services' nodes + this
//   service's live nodes).
// - Regions (scale-down.ts, scale-up.ts, min-regions.ts). A region with live nodes
//   counts toward min_regions/max_regions. No region goes from 0 to >0 nodes past
//   max_regions (this wins over min_nodes); no region loses its last node below
//   min_regions (this wins over max_nodes: 0). Below min_regions, the cheapest
//   empty regions are brought up to max(1, min_nodes), ignoring cooldown.
// - Overflow (overflow.ts). When max_nodes, the quota or max_regions stops a wanted
//   scale up, the blocked nodes go to other regions that can take them, cheapest
//   first (`cost_per_node_hour`, unknown = most expensive; ties by name). It waits
//   while any other region of the service has coming nodes, is in cooldown or
//   changed in this pass (so at most one overflow step per cooldown, and capacity
//   already on its way counts). A target must be unheld and not want down itself
//   (it already has spare capacity). While any region is saturated like this, no
//   other region scales down by the rule (scale-down.ts): it would shed the
//   capacity the saturated region overflows into, and flap.
// - Scale down victims (scale-down.ts, victims.ts): down, then unknown/warm outside
//   DNS, then excluded, then unknown/warm still serving on trust, then the least
//   loaded active nodes. They go into `excluded` and the result's `drain`; `nodes`
//   keeps them until the removal rule fires. A victim no agent ever registered
//   under that is already out of DNS leaves `nodes` at once (`removed`).
// - Holds. `${region}:nodes` or `${region}:excluded` on hold → no decision in that
//   region at all: every autoscale decision writes both keys.
// - Order. Regions are visited in a fixed order: rule scale downs most expensive
//   region first (so min_regions keeps the cheap one), then replacements, then
//   scale ups by name, overflow, min_regions. Each decision's patch is the pool's
//   `nodes` and `excluded` after it, cumulative within the pass.
// - Frozen (self-protection, src/reconcile/safety.ts): nothing leaves `nodes` and
//   nothing is newly excluded: no scale down (by the rule or the bounds), no
//   replacement, no removal; the reason names what was held back. Scale ups go on.
//   (removals.ts, scale-down.ts)
// - Reasons (reasons.ts). Each region's reason and each commit line is a typed
//   value, printed by one function there; the text is what the status API shows.
// The caller starts a region's cooldown for its `scale_up` / `scale_down`
// decisions (`isScaleChange`), not for removals and replacements.
import type { AutoscaleDecision, Decision } from '../decision/index.js';
import { fillMinRegions } from './min-regions.js';
import { spillOverflow } from './overflow.js';
import { reasonSoFar, startPass, type PassState, type RegionState } from './pass-state.js';
import { reasonText, type RegionReason } from './reasons.js';
import { removeFinished, replaceDown } from './removals.js';
import { wantByRule } from './rule-want.js';
import { saturatedRegions, scaleDown } from './scale-down.js';
import { scaleUp, type Overflow } from './scale-up.js';
import type { AutoscaleInput, AutoscaleResult, RegionPlan } from './types.js';

export type { AutoscaleInput, AutoscaleResult, RegionPlan } from './types.js';

/** True for the decisions that start a region's cooldown (scale up and down, wherever they came from). */
export function isScaleChange(d: Pick<Decision, 'kind'>): boolean {
  return d.kind === 'scale_up' || d.kind === 'scale_down';
}

/** One autoscale pass: decisions for every region of the policy, with no IO. */
export function computeAutoscale(input: AutoscaleInput): AutoscaleResult {
  // Each region prepared and counted, its finished drains removed, then what its rule wants.
  const pass = startPass(input);
  for (const r of pass.regions) {
    if (!r.held) removeFinished(pass, r);
    wantByRule(pass, r);
    if (r.live > 0) pass.withNodes += 1;
  }

  const saturated = saturatedRegions(pass);
  // Bounds first, then the rule. Most expensive first, so min_regions keeps the cheap region.
  for (const r of byCost(pass.regions, 'desc')) if (!r.held) scaleDown(pass, r, saturated);
  for (const r of pass.regions) if (!r.held) replaceDown(pass, r);

  // Scale ups by the bounds and the rule; blocked steps are offered to other regions.
  const overflow: Overflow[] = [];
  for (const r of pass.regions) if (!r.held && !r.changed) scaleUp(pass, r, overflow);
  const cheapestFirst = byCost(pass.regions, 'asc');
  for (const o of overflow) spillOverflow(pass, o, cheapestFirst);
  fillMinRegions(pass, cheapestFirst);

  return result(pass);
}

/** Phase "result": the decisions in region order and each region's plan, its reason printed. */
function result(pass: PassState): AutoscaleResult {
  const regions: Record<string, RegionPlan> = {};
  const decisions: AutoscaleDecision[] = [];
  for (const r of pass.regions) {
    decisions.push(...r.decisions);
    regions[r.region] = {
      current: r.start,
      desired: r.live,
      cpu: r.cpu,
      wanted: r.held ? r.want.dir : r.wanted,
      reason: reasonText(finalReason(pass, r)),
      coming: r.coming,
      draining: r.draining,
    };
  }
  return { decisions, drain: pass.drain, removed: pass.removed, scaleDownSince: pass.scaleDownSince, regions };
}

// A held region says only that; a frozen one adds what the freeze held back.
function finalReason(pass: PassState, r: RegionState): RegionReason {
  if (r.held) return { kind: 'held' };
  const reason = reasonSoFar(r);
  return r.heldBack ? { kind: 'frozen', before: reason, frozen: pass.input.frozen ?? '', heldBack: r.heldBack } : reason;
}

/** The regions by cost_per_node_hour (unknown = most expensive), ties by name. */
function byCost(regions: readonly RegionState[], order: 'asc' | 'desc'): RegionState[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...regions].sort((a, b) => sign * (a.cost - b.cost) || compareNames(a.region, b.region));
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
