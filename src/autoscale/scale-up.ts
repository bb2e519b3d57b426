// Scale ups of one region: up to min_nodes at once (max_regions and the cap
// permitting), then by the CPU rule unless nodes are still coming or the
// cooldown runs, capped by max_nodes, the region quota and max_regions. What a
// cap or max_regions blocks is offered to other regions (overflow.ts). Rules
// "Coming capacity", "Bounds", "Regions" and "Overflow" in compute.ts's header.
import { addNodes, upFromZeroBlocked, type PassState, type RegionState } from './pass-state.js';
import type { Limit } from './reasons.js';

/** A step the CPU rule wanted that a region could not take: `blocked` nodes, stopped by `limit`. */
export interface Overflow {
  source: RegionState;
  blocked: number;
  limit: Limit;
}

/** Phase "scale ups", one region not held and not changed yet; a blocked step is added to `overflow`. */
export function scaleUp(pass: PassState, r: RegionState, overflow: Overflow[]): void {
  const rule = r.rule;
  const maxRegions = pass.input.policy.global.max_regions;
  if (r.live < rule.min_nodes) {
    r.wanted = 'up';
    if (upFromZeroBlocked(pass, r)) {
      r.reason = { kind: 'below_min', min: rule.min_nodes, limit: { kind: 'max_regions', maxRegions } };
      return;
    }
    const target = Math.min(rule.min_nodes, r.cap);
    if (target <= r.live) {
      r.reason = { kind: 'below_min', min: rule.min_nodes, limit: { kind: 'cap', region: r.region, cap: r.capBound } };
      return;
    }
    addNodes(pass, r, target - r.live, { kind: 'min_nodes', min: rule.min_nodes }, { min_nodes: rule.min_nodes });
    return;
  }
  if (r.want.dir !== 'up') return;
  r.wanted = 'up';
  const reading = r.want.reading;
  if (r.coming > 0) {
    r.reason = { kind: 'waiting', reading, wait: { kind: 'coming', count: r.coming } };
    return;
  }
  if (r.cooldownLeft > 0) {
    r.reason = { kind: 'waiting', reading, wait: { kind: 'cooldown', leftMs: r.cooldownLeft } };
    return;
  }
  const wantedTo = r.live + r.want.step;
  const fromZeroBlocked = upFromZeroBlocked(pass, r);
  // Other services may already be past the quota: that stops growth here, it never shrinks us.
  const target = fromZeroBlocked ? r.live : Math.max(r.live, Math.min(wantedTo, r.cap));
  const limit: Limit = fromZeroBlocked ? { kind: 'max_regions', maxRegions } : { kind: 'cap', region: r.region, cap: r.capBound };
  if (target > r.live) {
    addNodes(pass, r, target - r.live, reading, { cpu: r.cpu, scale_up_cpu: rule.scale_up_cpu });
  } else {
    r.reason = { kind: 'limited', reading, limit };
  }
  if (wantedTo > target) overflow.push({ source: r, blocked: wantedTo - target, limit });
}
