// Which of a pool's nodes DNS must leave out, and the per-node steps from the
// pool's current `excluded` to that set. A node takes traffic only while its
// registry state is `active`: new names (not registered, warm) wait outside DNS,
// and down, draining or deleted nodes leave it.
import type { NodeObservation } from '../decision/index.js';

/** A node's registry state as the controllers see it. */
export type ObservedState = NodeObservation['state'];

/** One step of the exclusion plan: take a node out of DNS, put it back, or drop a stale name. */
export interface ExclusionStep {
  /** `forget` removes a name from `excluded` that is no longer in `nodes` (excluded stays a subset of nodes). */
  kind: 'exclude' | 'include' | 'forget';
  node: string;
  /** The words for the commit line: `down`, `warm`, `not registered`, `active`, `not in nodes`. */
  because: string;
  state: ObservedState | 'absent';
}

/** The steps from `current` excluded to the target; the target is every name in `nodes` whose state is not `active`. */
export function exclusionSteps(nodes: readonly string[], current: readonly string[], stateOf: (name: string) => ObservedState): ExclusionStep[] {
  const steps: ExclusionStep[] = [];
  if (current.length > 0) {
    const inNodes = membership(nodes);
    for (const name of uniqueNames(current)) {
      if (!inNodes(name)) steps.push({ kind: 'forget', node: name, because: 'not in nodes', state: 'absent' });
    }
  }
  const was = membership(current);
  for (const name of uniqueNames(nodes)) {
    const state = stateOf(name);
    const out = state !== 'active';
    if (out && !was(name)) steps.push({ kind: 'exclude', node: name, because: stateWords(state), state });
    if (!out && was(name)) steps.push({ kind: 'include', node: name, because: stateWords(state), state });
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

/** Each observed node's state by name (the last observation of a name wins); `unknown` for a name not observed. */
export function stateLookup(observations: readonly NodeObservation[]): (name: string) => ObservedState {
  if (observations.length <= SCAN_LIMIT) {
    return (name) => {
      for (let i = observations.length - 1; i >= 0; i -= 1) if (observations[i]?.name === name) return (observations[i] as NodeObservation).state;
      return 'unknown';
    };
  }
  const byName = new Map<string, ObservedState>();
  for (const o of observations) byName.set(o.name, o.state);
  return (name) => byName.get(name) ?? 'unknown';
}
