// Scale downs, by the bounds first (above max_nodes, at once), then by the CPU
// rule (at min, stabilization, cooldown and saturated regions permitting).
// Victims go into `excluded` and `drain` and stay in `nodes` until their drain
// ends, except a never-registered one already out of DNS, which leaves at once.
// Rules "Bounds", "Regions", "Overflow" (keeping capacity), "Scale down
// victims" and "Frozen" in compute.ts's header.
import type { AutoscaleDecision, NodeObservation } from '../decision/index.js';
import { dropName, holdBack, isLive, record, type PassState, type RegionState } from './pass-state.js';
import type { Cause, RegionReason } from './reasons.js';
import { orderVictims } from './victims.js';

/** Regions whose rule wants more than their cap allows: the others keep their capacity for them. */
export function saturatedRegions(pass: PassState): RegionState[] {
  return pass.regions.filter((r) => !r.held && r.want.dir === 'up' && r.live + r.want.step > r.cap);
}

/** A scale down a region should make: to `target` nodes, because of `cause`; `why` goes into the decision. */
interface DownStep {
  target: number;
  cause: Cause;
  why: AutoscaleDecision['why'];
}

/** The scale down a bound or the rule asks of a region, if any; when the rule's is held up, the region's reason says why. */
function downStep(pass: PassState, r: RegionState, saturated: readonly RegionState[]): DownStep | undefined {
  const { now } = pass.input;
  const rule = r.rule;
  if (r.live > rule.max_nodes) {
    r.wanted = 'down';
    return { target: rule.max_nodes, cause: { kind: 'max_nodes', max: rule.max_nodes }, why: { max_nodes: rule.max_nodes } };
  }
  if (r.want.dir !== 'down') return undefined;
  r.wanted = 'down';
  const since = pass.scaleDownSince[r.region] ?? now;
  const notYet = ruleDownWaits(pass, r, since, saturated);
  if (notYet) {
    r.reason = notYet;
    return undefined;
  }
  const why = { cpu: r.cpu, scale_down_cpu: rule.scale_down_cpu, stabilized_ms: now - since };
  return { target: Math.max(r.live - r.want.step, rule.min_nodes), cause: r.want.reading, why };
}

/** Why the rule's scale down does not happen yet: at min_nodes, still stabilizing, in cooldown, or keeping capacity for saturated regions. */
function ruleDownWaits(pass: PassState, r: RegionState, since: number, saturated: readonly RegionState[]): RegionReason | undefined {
  const { now } = pass.input;
  const reading = r.want.reading;
  const window = pass.input.policy.global.scale_down_stabilization;
  if (r.live <= r.rule.min_nodes) return { kind: 'at_min', reading, min: r.rule.min_nodes };
  if (now - since < window) return { kind: 'stabilizing', reading, forMs: now - since, windowMs: window };
  if (r.cooldownLeft > 0) return { kind: 'waiting', reading, wait: { kind: 'cooldown', leftMs: r.cooldownLeft } };
  const others = saturated.filter((s) => s !== r);
  if (others.length > 0) return { kind: 'keeping_capacity', reading, saturated: others.map((s) => s.region) };
  return undefined;
}

/** Phase "scale downs", one region (the caller visits the most expensive first, so min_regions keeps the cheap one). */
export function scaleDown(pass: PassState, r: RegionState, saturated: readonly RegionState[]): void {
  const down = downStep(pass, r, saturated);
  if (!down) return;
  const { cause, why } = down;
  let { target } = down;
  const minRegions = pass.input.policy.global.min_regions;
  if (target === 0 && r.live > 0 && pass.withNodes - 1 < minRegions) {
    target = 1;
    if (target >= r.live) {
      r.reason = { kind: 'last_node_kept', cause, minRegions };
      return;
    }
  }
  if (target >= r.live) return;
  if (pass.input.frozen !== undefined) {
    holdBack(r, { kind: 'scale_down', from: r.live, to: target, cause });
    return;
  }
  const victims = pickVictims(r, r.live - target);
  const { now } = pass.input;
  const from = r.live;
  const draining: string[] = [];
  const dropped: string[] = [];
  for (const v of victims) {
    const o = r.obs.get(v);
    if (o?.state === 'unknown' && r.excluded.includes(v)) {
      // Never registered and kept out of DNS: nothing to drain, it leaves at once. (One that
      // serves on trust may be in DNS: it is drained like any other.)
      dropName(r, v);
      r.obs.delete(v);
      pass.removed.push(v);
      dropped.push(v);
      continue;
    }
    if (!r.excluded.includes(v)) r.excluded.push(v);
    pass.drain.push(v);
    r.draining.push(v);
    draining.push(v);
    // The executor puts it in drain; for the rest of this pass it is already leaving.
    if (o) r.obs.set(v, { ...o, state: 'drain', stateSince: now });
  }
  r.live -= victims.length;
  if (r.live === 0) pass.withNodes -= 1;
  r.changed = true;
  r.reason = { kind: 'scaled_down', cause, from, to: r.live, draining, dropped };
  record(pass, r, { kind: 'scale_down', from, to: r.live, cause }, { ...why, from, to: r.live, victims: victims.join(',') });
}

/** The `count` best victims among the region's live nodes (victims.ts). */
function pickVictims(r: RegionState, count: number): string[] {
  const candidates = r.nodes.map((n) => r.obs.get(n)).filter((o): o is NodeObservation => o !== undefined && isLive(o));
  return orderVictims(candidates, new Set(r.excluded))
    .slice(0, count)
    .map((o) => o.name);
}
