// A region's node observations by name for one autoscale pass, looked up the
// cheap way: most regions of a pass only read a handful of them.
import type { NodeObservation } from '../decision/index.js';

// Past this many nodes in a pool, observations are looked up in a Map; below it a scan is cheaper
// than building one, and the pass looks at every pool of every service.
const SCAN_LIMIT = 16;

/**
 * A region's observations by name for one pass: the last observation of each name in the view,
 * and for a name in `nodes` with none, an `unknown` one added `now` (just written: nothing
 * registered under it yet). Most regions only read them, so the view's own list is scanned until
 * the pass changes something (a victim starts draining, a node leaves) or the pool is large.
 */
export class Observations {
  private map: Map<string, NodeObservation> | undefined;

  constructor(
    private readonly names: readonly string[],
    private readonly list: readonly NodeObservation[],
    private readonly now: number,
  ) {
    if (names.length > SCAN_LIMIT || list.length > SCAN_LIMIT) this.materialize();
  }

  /** The observation of `name`, or undefined for a name neither observed nor in `nodes`. */
  get(name: string): NodeObservation | undefined {
    if (this.map) return this.map.get(name);
    for (let i = this.list.length - 1; i >= 0; i -= 1) {
      const o = this.list[i] as NodeObservation;
      if (o.name === name) return o;
    }
    return this.names.includes(name) ? this.materialize().get(name) : undefined;
  }

  /** Replaces the observation of `name` for the rest of the pass (a victim starts draining). */
  set(name: string, o: NodeObservation): void {
    this.materialize().set(name, o);
  }

  /** Forgets `name` (it left the pool in this pass). */
  delete(name: string): void {
    this.materialize().delete(name);
  }

  private materialize(): Map<string, NodeObservation> {
    if (this.map) return this.map;
    const map = new Map<string, NodeObservation>();
    for (const o of this.list) map.set(o.name, o);
    for (const n of this.names) {
      if (!map.has(n)) map.set(n, { name: n, state: 'unknown', stateSince: null, addedAt: this.now, cpu: null, rttMs: null, errorRate: null });
    }
    this.map = map;
    return map;
  }
}
