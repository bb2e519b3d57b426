// Which of a pool's nodes DNS must leave out, and the per-node steps from the
// pool's current `excluded` to that set. Exclusion needs evidence (contract §3):
// a node that is serving (in `nodes`, not in `excluded`) leaves DNS only when the
// registry has seen it fail (`down`) or it is leaving (`drain`, `deleted`). Not
// knowing is not failing: a serving node that is `unknown` (no agent registered
// under its name yet), `warm` (registered, still proving itself) or only `down`
// in the store's word from before this term keeps serving "on trust" for
// `provision_timeout`, counted from the later of the term's start and the time it
// became so; then it leaves as `not registered for 10m` (or `warm for 10m`).
// A node that is not serving (a new name from a scale up, or one excluded before)
// comes back only once it is `active`.
import { formatDuration } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';

/** A node's registry state as the controllers see it. */
export type ObservedState = NodeObservation['state'];

/** One step of the exclusion plan: take a node out of DNS, put it back, or drop a stale name. */
export interface ExclusionStep {
  /** `forget` removes a name from `excluded` that is no longer in `nodes` (excluded stays a subset of nodes). */
  kind: 'exclude' | 'include' | 'forget';
  node: string;
  /** The words for the commit line: `down`, `warm`, `not registered`, `not registered for 10m`, `active`, `not in nodes`. */
  because: string;
  state: ObservedState | 'absent';
}

/** What the controller makes of one node in `nodes`: in DNS or out, and why. */
export interface NodeVerdict {
  out: boolean;
  because: string;
  state: ObservedState;
  /** Set while the node serves on trust (unknown, warm, or down only in the store's word): until when, epoch ms. */
  trustedUntil?: number;
  /** Since when it has been unverified (epoch ms), for a node serving on trust. */
  unverifiedSince?: number;
}

/** How a pass judges nodes: its clock, the trust window and each name's observation. */
export interface Judge {
  now: number;
  /** provision_timeout: how long a serving node may stay unverified before it leaves DNS. */
  trustMs: number;
  observe: (name: string) => NodeObservation | undefined;
}

/**
 * The verdict on `name`: `active` serves; `down` (seen in this term), `drain` and `deleted` are out;
 * `unknown`, `warm` and a `down` only loaded from the store are out unless the node is serving
 * (`serving`: not in the current `excluded`), which keeps it in until the trust window ends.
 */
export function judgeNode(name: string, serving: boolean, judge: Judge): NodeVerdict {
  const o = judge.observe(name);
  const state: ObservedState = o?.state ?? 'unknown';
  if (state === 'active') return { out: false, because: 'active', state };
  if (state === 'drain' || state === 'deleted') return { out: true, because: state, state };
  // What is left is `down`: unverified only when loaded from the store, not seen in this term.
  const unverified = state === 'unknown' || state === 'warm' || o?.loaded === true;
  if (!unverified) return { out: true, because: 'down', state };
  const words = state === 'down' ? 'down before this term, not confirmed' : stateWords(state);
  if (!serving) return { out: true, because: words, state };
  const since = unverifiedSince(o, judge.now);
  const until = since + judge.trustMs;
  if (judge.now < until) return { out: false, because: words, state, trustedUntil: until, unverifiedSince: since };
  return { out: true, because: `${words} for ${formatDuration(judge.trustMs)}`, state };
}

// `addedAt` is when this term's loop first saw the name in a pool (or added it), so it is never
// before the term began; a `warm` node that was something else earlier in the term counts from
// when it became warm.
function unverifiedSince(o: NodeObservation | undefined, now: number): number {
  if (!o) return now;
  if (o.state === 'warm' && o.stateSince !== null) return Math.max(o.addedAt, o.stateSince);
  return o.addedAt;
}

/** The steps from `current` excluded to the target set: every name in `nodes` whose verdict is `out`. */
export function exclusionSteps(
  nodes: readonly string[],
  current: readonly string[],
  verdictOf: (name: string, serving: boolean) => NodeVerdict,
): ExclusionStep[] {
  const steps: ExclusionStep[] = [];
  if (current.length > 0) {
    const inNodes = membership(nodes);
    for (const name of uniqueNames(current)) {
      if (!inNodes(name)) steps.push({ kind: 'forget', node: name, because: 'not in nodes', state: 'absent' });
    }
  }
  const was = membership(current);
  for (const name of uniqueNames(nodes)) {
    const excluded = was(name);
    const v = verdictOf(name, !excluded);
    if (v.out && !excluded) steps.push({ kind: 'exclude', node: name, because: v.because, state: v.state });
    if (!v.out && excluded) steps.push({ kind: 'include', node: name, because: v.because, state: v.state });
  }
  return steps;
}

/**
 * The written order of an excluded set: `nodes` order, then any names not in `nodes` in
 * their current order (only while a pass has not yet forgotten them), each name once.
 */
export function orderExcluded(set: ReadonlySet<string>, nodes: readonly string[], current: readonly string[]): string[] {
  const inNodes = new Set(nodes);
  return [...unique(nodes).filter((n) => set.has(n)), ...unique(current).filter((n) => !inNodes.has(n) && set.has(n))];
}

/** How a state reads in a commit line; `unknown` means no agent registered under the name. */
export function stateWords(state: ObservedState): string {
  return state === 'unknown' ? 'not registered' : state;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

// Below this many names a linear scan beats building a Set: pools are usually a handful of
// nodes, and the GTM pass looks at every pool of every service each pass.
const SCAN_LIMIT = 16;

/** `names` without repeats, first occurrence kept; the same array when it has none. */
export function uniqueNames(names: readonly string[]): readonly string[] {
  if (names.length > SCAN_LIMIT) {
    const set = new Set(names);
    return set.size === names.length ? names : [...set];
  }
  for (let i = 1; i < names.length; i += 1) {
    for (let j = 0; j < i; j += 1) if (names[j] === names[i]) return unique(names);
  }
  return names;
}

/** A membership test over `names`: a scan for a few names, a Set for many. */
export function membership(names: readonly string[]): (name: string) => boolean {
  if (names.length === 0) return () => false;
  if (names.length <= SCAN_LIMIT) return (name) => names.includes(name);
  const set = new Set(names);
  return (name) => set.has(name);
}

/** Each observed node by name (the last observation of a name wins); undefined for a name not observed. */
export function observationLookup(observations: readonly NodeObservation[]): (name: string) => NodeObservation | undefined {
  if (observations.length <= SCAN_LIMIT) {
    return (name) => {
      for (let i = observations.length - 1; i >= 0; i -= 1) if (observations[i]?.name === name) return observations[i];
      return undefined;
    };
  }
  const byName = new Map<string, NodeObservation>();
  for (const o of observations) byName.set(o.name, o);
  return (name) => byName.get(name);
}
