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
  const inNodes = new Set(nodes);
  const was = new Set(current);
  const steps: ExclusionStep[] = [];
  for (const name of unique(current)) {
    if (!inNodes.has(name)) steps.push({ kind: 'forget', node: name, because: 'not in nodes', state: 'absent' });
  }
  for (const name of unique(nodes)) {
    const state = stateOf(name);
    const out = state !== 'active';
    if (out && !was.has(name)) steps.push({ kind: 'exclude', node: name, because: stateWords(state), state });
    if (!out && was.has(name)) steps.push({ kind: 'include', node: name, because: stateWords(state), state });
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
