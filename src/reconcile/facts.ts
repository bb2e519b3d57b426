// What a pass knows of the fleet, asked of the node registry before planning,
// so that planPass decides over plain data. It asks exactly what a pass looks
// at, once each: every name in the pools of a declared (service, region), the
// metrics of each such region, and the autoscaled regions' highest node numbers.
import type { Declarations, Pool } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import type { LoopMemory } from './memory.js';
import { keyOf, shapesOf } from './shapes.js';

/** The registry's answers a pass needs (NodeRegistry gives them). */
export interface FleetSource {
  /** A node's state and windowed metrics at `now`, carrying `addedAt`; undefined when never registered. */
  observation(name: string, now: number, addedAt: number): NodeObservation | undefined;
  /** Windowed metrics of a service's active nodes in a region. */
  regionMetrics(service: string, region: string, now: number): RegionMetrics | 'stale';
  /** Highest node number the registry has seen for (region, service). */
  highestOrdinal(region: string, service: string): number;
}

/** The fleet as one pass sees it: plain data, keyed as planPass looks it up. */
export interface FleetFacts {
  /** Observations by node name; a name not here was never registered. */
  nodes: ReadonlyMap<string, NodeObservation>;
  /** Region metrics by `service/region`; a key not here counts as stale. */
  metrics: ReadonlyMap<string, RegionMetrics | 'stale'>;
  /** Highest node number by `service/region`; a key not here counts as 0. */
  highestOrdinal: ReadonlyMap<string, number>;
}

/** What one pass saw before it planned: the time, the declarations in force, the pools at the head and the fleet's facts. */
export interface SeenPass {
  now: number;
  declarations: Declarations;
  pools: Record<string, Record<string, Pool>>;
  facts: FleetFacts;
}

/**
 * Asks `source` everything a pass over `pools` will look at. Each observation carries the name's
 * `addedAt` from `memory.firstSeen` (now for a name new to it), as planPass will use it, so the
 * pass takes the object as it is: one object per node and pass.
 */
export function gatherFacts(
  source: FleetSource,
  at: { now: number; declarations: Declarations; pools: Record<string, Record<string, Pool>>; memory: LoopMemory },
): FleetFacts {
  const { now, pools, memory } = at;
  const nodes = new Map<string, NodeObservation>();
  const metrics = new Map<string, RegionMetrics | 'stale'>();
  const highestOrdinal = new Map<string, number>();
  for (const shape of shapesOf(at.declarations).values()) {
    for (const region of shape.regions) {
      for (const name of pools[region]?.[shape.service]?.nodes ?? []) {
        if (nodes.has(name)) continue;
        const o = source.observation(name, now, memory.firstSeen.get(name) ?? now);
        if (o) nodes.set(name, o);
      }
      metrics.set(keyOf(shape, region), source.regionMetrics(shape.service, region, now));
    }
    for (const region of shape.autoscaleRegions) highestOrdinal.set(keyOf(shape, region), source.highestOrdinal(region, shape.service));
  }
  return { nodes, metrics, highestOrdinal };
}
