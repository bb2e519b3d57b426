// Why a region's weight is what it is, as values that print themselves: the
// weight cause ends a weight decision's commit line (`weight 100→50 (ready
// 1/2)`), and the region reason is RegionStatus.reason (the status API's
// words). The rules that choose them are in compute.ts; only this file turns
// them into text, and the text is a contract (status API, commit lines, docs).
import { formatDuration } from '../config/index.js';

/** Why a region wants the weight it wants. */
export type WeightCause =
  /** The factors' own words (weight.ts): `ready 1/2`, `rtt=412ms > 300ms`, `ready 0 < min 1`. */
  | { kind: 'factors'; words: string }
  /** `fallback: every region would be 0`. */
  | { kind: 'fallback' }
  /** `frozen (panic): keeps 100, wants 25 (ready 1/4)`: a freeze keeps the weight down nodes would cut. */
  | { kind: 'frozen_keeps'; frozen: string; keeps: number; wants: number; words: string }
  /** `ready 3/4; frozen (panic): down nodes count as ready`: a freeze lowers the weight only as far as that. */
  | { kind: 'frozen_floor'; frozen: string; words: string }
  /** `keeps 100: 2 serving on trust (a, b); wants 0 (ready 0 < min 1)`: not knowing moves the weight neither way. */
  | { kind: 'trust_keeps'; keeps: number; onTrust: string[]; wants: number; cause: WeightCause }
  /** `ready 1/2, counting 1 serving on trust (jp-svc-plus-1) as ready`. */
  | { kind: 'trust_floor'; words: string; onTrust: string[] };

/** What became of a pool's weight in this pass. */
export type WeightOutcome =
  /** It is, or now becomes, what the region wants: the cause alone. */
  | { kind: 'wanted'; cause: WeightCause }
  /** `held by a human override at 100 (wants 50: ready 1/2)`. */
  | { kind: 'held'; keeps: number; wants: number; cause: WeightCause }
  /** `waiting: last change 30s ago < min_change_interval 1m; keeps 50, wants 100 (ready 2/2)`. */
  | { kind: 'waiting'; agoMs: number; intervalMs: number; keeps: number; wants: number; cause: WeightCause };

/** A note on the pool's excluded list: `excluded held by a human override`, or what a freeze kept in DNS. */
export type ExcludedNote = { kind: 'held' } | { kind: 'frozen'; frozen: string; kept: { node: string; because: string }[] };

/** Why a region stands as it does after a pass: RegionStatus.reason. */
export type RegionReason =
  /** `fail static: no region has a ready node, weights and exclusions left as they are (ready 0/2)`. */
  | { kind: 'fail_static'; ready: number; desired: number }
  /** `held by a human override: no pool in the stack, not creating one (ready 1/1)`. */
  | { kind: 'no_pool_held'; cause: WeightCause }
  /** `pool created (ready 0/0)`. */
  | { kind: 'pool_created'; cause: WeightCause }
  /** The weight's outcome, then the excluded list's note if any: `ready 1/2; excluded held by a human override`. */
  | { kind: 'pool'; weight: WeightOutcome; excluded: ExcludedNote | undefined };

/** `2 serving on trust (jp-svc-plus-1, jp-svc-plus-2)`. */
function onTrustText(nodes: readonly string[]): string {
  return `${nodes.length} serving on trust (${nodes.join(', ')})`;
}

/** A weight cause as the commit line and the status show it. */
export function causeText(c: WeightCause): string {
  switch (c.kind) {
    case 'factors':
      return c.words;
    case 'fallback':
      return 'fallback: every region would be 0';
    case 'frozen_keeps':
      return `frozen (${c.frozen}): keeps ${c.keeps}, wants ${c.wants} (${c.words})`;
    case 'frozen_floor':
      return `${c.words}; frozen (${c.frozen}): down nodes count as ready`;
    case 'trust_keeps':
      return `keeps ${c.keeps}: ${onTrustText(c.onTrust)}; wants ${c.wants} (${causeText(c.cause)})`;
    case 'trust_floor':
      return `${c.words}, counting ${onTrustText(c.onTrust)} as ready`;
  }
}

function outcomeText(o: WeightOutcome): string {
  switch (o.kind) {
    case 'wanted':
      return causeText(o.cause);
    case 'held':
      return `held by a human override at ${o.keeps} (wants ${o.wants}: ${causeText(o.cause)})`;
    case 'waiting': {
      const ago = Math.max(0, Math.round(o.agoMs / 1000));
      return `waiting: last change ${ago}s ago < min_change_interval ${formatDuration(o.intervalMs)}; keeps ${o.keeps}, wants ${o.wants} (${causeText(o.cause)})`;
    }
  }
}

function excludedText(n: ExcludedNote): string {
  return n.kind === 'held'
    ? 'excluded held by a human override'
    : `frozen (${n.frozen}): not excluding ${n.kept.map((k) => `${k.node} (${k.because})`).join(', ')}`;
}

/** A region's reason as RegionStatus.reason and the status API show it. */
export function reasonText(r: RegionReason): string {
  switch (r.kind) {
    case 'fail_static':
      return `fail static: no region has a ready node, weights and exclusions left as they are (ready ${r.ready}/${r.desired})`;
    case 'no_pool_held':
      return `held by a human override: no pool in the stack, not creating one (${causeText(r.cause)})`;
    case 'pool_created':
      return `pool created (${causeText(r.cause)})`;
    case 'pool':
      return r.excluded ? `${outcomeText(r.weight)}; ${excludedText(r.excluded)}` : outcomeText(r.weight);
  }
}
