// Overflow: the nodes a cap or max_regions kept a region from adding go to
// other regions of the service, cheapest first, once the service has settled.
// Rule "Overflow" in compute.ts's header.
import { addNodes, reasonSoFar, upFromZeroBlocked, type PassState, type RegionState } from './pass-state.js';
import type { Cause, Unsettled } from './reasons.js';
import type { Overflow } from './scale-up.js';

/** Phase "overflow", one blocked step: spread it over `cheapestFirst`, or say which region it waits for. */
export function spillOverflow(pass: PassState, { source, blocked, limit }: Overflow, cheapestFirst: readonly RegionState[]): void {
  // Spilling waits until the service has settled elsewhere: capacity already on its way or
  // just placed in another region may be what this step needs, and without the wait each
  // pass would pick the next cheapest region while the last one is still in cooldown.
  const unsettled = pass.regions.find((t) => t !== source && (t.changed || t.coming > 0 || t.cooldownLeft > 0));
  if (unsettled) {
    const because: Unsettled = unsettled.changed
      ? { kind: 'changed' }
      : unsettled.coming > 0
        ? { kind: 'coming', count: unsettled.coming }
        : { kind: 'cooldown', leftMs: unsettled.cooldownLeft };
    source.reason = { kind: 'overflow_waits', before: reasonSoFar(source), on: unsettled.region, because };
    return;
  }
  const cause: Cause = { kind: 'overflow', from: source.region, reading: source.want.reading, limit };
  let left = blocked;
  const placed: { region: string; count: number }[] = [];
  for (const t of cheapestFirst) {
    if (left === 0) break;
    // A target that wants down already has spare capacity; a held one is the human's.
    if (t === source || t.held || t.want.dir === 'down') continue;
    if (upFromZeroBlocked(pass, t)) continue;
    const take = Math.min(left, t.cap - t.live);
    if (take <= 0) continue;
    addNodes(pass, t, take, cause, { source: source.region, source_cpu: source.cpu, blocked });
    placed.push({ region: t.region, count: take });
    left -= take;
  }
  if (placed.length > 0) source.reason = { kind: 'overflowed', before: reasonSoFar(source), placed };
}
