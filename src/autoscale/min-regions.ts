// min_regions: while fewer regions than that have nodes, the cheapest empty
// ones are brought up to max(1, min_nodes), ignoring the cooldown (never past
// max_regions, never a held region or one already changed in this pass). Rule
// "Regions" in compute.ts's header.
import { addNodes, type PassState, type RegionState } from './pass-state.js';

/** Phase "min_regions": fills empty regions, cheapest first, until min_regions have nodes. */
export function fillMinRegions(pass: PassState, cheapestFirst: readonly RegionState[]): void {
  const { min_regions: minRegions, max_regions: maxRegions } = pass.input.policy.global;
  if (pass.withNodes >= minRegions) return;
  for (const t of cheapestFirst) {
    if (pass.withNodes >= minRegions) break;
    if (t.live > 0 || t.held || t.changed || pass.withNodes >= maxRegions) continue;
    const target = Math.min(Math.max(1, t.rule.min_nodes), t.cap);
    if (target <= 0) continue;
    addNodes(pass, t, target, { kind: 'min_regions', minRegions }, { min_regions: minRegions, regions_with_nodes: pass.withNodes });
  }
}
