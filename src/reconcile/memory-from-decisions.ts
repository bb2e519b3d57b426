// The loop's memory as a new leadership term starts. LoopMemory lives in the
// leader's process, so a replica that takes over (or this one, leading again
// after another replica did) would start with none, or a stale one, and could
// change a region sooner than its cooldown or min_change_interval allows. The
// store's decision log holds those two timers: every landed scale or weight
// decision, with its time. The rest is left to refill as after a restart:
// - firstSeen: each name counts as added at the term's first pass, so an
//   unknown or warm node is coming capacity for a full provision_timeout again
//   (no CPU scale up of its region meanwhile): it holds the loop back;
// - scaleDownSince: a wanted scale down waits a whole scale_down_stabilization
//   again: it holds the loop back;
// - down, frozen: the first pass only records who is down, so a panic freeze
//   in force on the old leader is not carried over (docs/controllers.md).
import type { DecisionRecord } from '../store/index.js';
import { emptyMemory, setsWeight, startsCooldown, type LoopMemory } from './memory.js';
import { memoryKey } from './shapes.js';

/**
 * How many of the newest decisions a term reads back (one bounded query per term). A region whose
 * last scale or weight change is older than this many decisions of the whole fleet starts with no
 * timer, as without the log; that matters only if the fleet made more decisions than this within
 * one cooldown or min_change_interval.
 */
export const RESTORE_DECISIONS = 5_000;

/**
 * A fresh memory with, per `service/region`, the time of the newest committed decision that
 * started its cooldown (`lastScale`) and that set its weight (`lastWeight`), by the same rule as
 * `rememberChanges`. Decisions without a commit never landed and do not count. Times after `now`
 * (the old leader's clock ran ahead) count as `now`, so skew holds a region at most one full interval.
 */
export function memoryFromDecisions(decisions: Iterable<DecisionRecord>, now = Number.POSITIVE_INFINITY): LoopMemory {
  const lastScale = new Map<string, number>();
  const lastWeight = new Map<string, number>();
  for (const d of decisions) {
    if (d.commit === null) continue;
    const timers = startsCooldown(d) ? lastScale : setsWeight(d) ? lastWeight : undefined;
    if (!timers) continue;
    const k = memoryKey(d.service, d.region);
    const at = Math.min(d.at, now);
    const known = timers.get(k);
    // Any order will do: the newest time wins.
    if (known === undefined || at > known) timers.set(k, at);
  }
  return { ...emptyMemory(), lastScale, lastWeight };
}
