// Self-protection (fail static). A control plane that suddenly sees most of a
// service's nodes go down at once is more likely cut off from them than right
// about them, and one that has lost its store or its Git remote is working from
// stale facts. In either case the loop stops taking capacity away until health
// returns: no node goes newly into `excluded`, no weight goes down because nodes
// went down, no scale-down, no replacement or removal. It may still add: scale-ups
// and weight increases go ahead. Pure: counts and health in, a verdict out; the
// reconciler logs it and publishes the gauge.
//
// The rule, per service, at every pass:
//   1. Store lost (the health probe says so, or FAILURES_TO_FREEZE passes in a row
//      failed reading the store) → frozen, reason `store`.
//   2. Else Git remote lost (the probe says so, or FAILURES_TO_FREEZE passes in a row
//      could not fetch) → frozen, reason `git`.
//   3. Else, when frozen for `panic`: stay frozen while down / nodes > threshold;
//      resume once it is <= threshold.
//   4. Else panic when newlyDown / nodes > threshold: more than the threshold's
//      share of the service's nodes went down since the previous pass.
// `nodes` counts the names in the service's pools that are not `deleted`; `down`
// those in state `down`; `newlyDown` those down now that were not down at the
// previous pass. The first pass that sees a service (after a start, or in a new
// leader's term) cannot tell an old outage from a sudden one, so every node down
// then counts as newly down: a failover in the middle of a mass outage stays
// frozen instead of evicting what the old leader was holding back.
import type { NodeObservation } from '../decision/index.js';

/** Why a service's evictions are frozen. */
export type FreezeReason = 'panic' | 'store' | 'git';

/** A service's freeze: why, since when (epoch ms), and the words for logs and the status API. */
export interface Freeze {
  reason: FreezeReason;
  since: number;
  detail: string;
}

/** A service's nodes at one pass, as the panic rule counts them. */
export interface FleetCount {
  /** Names in the service's pools that are not `deleted`. */
  nodes: number;
  /** Of those, the ones `down` now. */
  down: number;
  /** Of those, the ones `down` now that were not down at the previous pass. */
  newlyDown: number;
}

/** What the control plane knows of its own health; false means lost. */
export interface ControlPlaneHealth {
  store: boolean;
  git: boolean;
  /** Why, in words, when something is lost. */
  reason?: string;
}

/** The share of a service's nodes that may go down within one pass before the loop freezes (panic_threshold). */
export const DEFAULT_PANIC_THRESHOLD = 0.5;

/** Consecutive passes failing on the store (or on Git) after which the reconciler counts it as lost. */
export const FAILURES_TO_FREEZE = 3;

/** A healthy control plane. */
export const HEALTHY: ControlPlaneHealth = { store: true, git: true };

/** Throws unless `threshold` is a share between 0 and 1. */
export function checkPanicThreshold(threshold: number): number {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new Error(`panic_threshold must be a number between 0 and 1, got ${threshold}`);
  }
  return threshold;
}

/**
 * Counts a service's nodes for the panic rule from its pools' observations, and returns who is
 * down now (the next pass's baseline). `previouslyDown` undefined means the previous pass did not
 * see this service: everyone down counts as newly down.
 */
export function countFleet(
  pools: Iterable<readonly NodeObservation[]>,
  previouslyDown: ReadonlySet<string> | undefined,
): { count: FleetCount; down: string[] } {
  const count: FleetCount = { nodes: 0, down: 0, newlyDown: 0 };
  const down: string[] = [];
  for (const observations of pools) {
    for (const o of observations) {
      if (o.state === 'deleted') continue;
      count.nodes += 1;
      if (o.state !== 'down') continue;
      count.down += 1;
      down.push(o.name);
      if (previouslyDown === undefined || !previouslyDown.has(o.name)) count.newlyDown += 1;
    }
  }
  return { count, down };
}

/** The service's freeze after this pass (see the file comment), or null when the loop may act. */
export function evaluateFreeze(previous: Freeze | undefined, count: FleetCount, health: ControlPlaneHealth, threshold: number, now: number): Freeze | null {
  const since = (reason: FreezeReason): number => (previous?.reason === reason ? previous.since : now);
  if (!health.store) return { reason: 'store', since: since('store'), detail: `the store is lost${health.reason ? ` (${health.reason})` : ''}` };
  if (!health.git) return { reason: 'git', since: since('git'), detail: `the Git remote is lost${health.reason ? ` (${health.reason})` : ''}` };
  const share = (n: number): number => (count.nodes === 0 ? 0 : n / count.nodes);
  if (previous?.reason === 'panic') {
    if (share(count.down) <= threshold) return null;
    return { reason: 'panic', since: previous.since, detail: `${count.down} of ${count.nodes} nodes down (more than panic_threshold ${threshold})` };
  }
  if (share(count.newlyDown) > threshold) {
    return { reason: 'panic', since: now, detail: `${count.newlyDown} of ${count.nodes} nodes went down at once (more than panic_threshold ${threshold})` };
  }
  return null;
}
