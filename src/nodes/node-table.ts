// The registry's nodes in memory, by name and by pool. Every unit of the
// registry works on the same LiveNode objects; this table is where they live.
import type { NodeRecord } from '../store/index.js';
import type { Liveness } from './liveness.js';
import type { MetricsWindow } from './metrics-window.js';

/** One node as the registry holds it in memory. */
export interface LiveNode {
  record: NodeRecord;
  liveness: Liveness;
  window: MetricsWindow;
  /** Last sign of life for the heartbeat timeout, on the monotonic clock: a heartbeat, or the registry's start. */
  lastSeen: number;
  /** Outcome of the last active probe, null before the first. */
  lastProbeOk: boolean | null;
  /**
   * Whether this term has heard from or about the node (a registration, heartbeat, probe or
   * timeout). False for a node loaded from the store until then: its state is the last term's word.
   */
  heard: boolean;
}

/** The live nodes by name, with the names of the nodes not deleted per (service, region). */
export class NodeTable {
  private readonly nodes = new Map<string, LiveNode>();
  /**
   * Names of the nodes not deleted, per pool (`poolKey`), in registration
   * order: regionMetrics runs for every (service, region) each pass and must
   * not scan the whole fleet each time. A node's pool never changes.
   */
  private readonly byPool = new Map<string, Set<string>>();

  /** Nodes held, deleted ones included. */
  get size(): number {
    return this.nodes.size;
  }

  /** The node called `name`, if any. */
  get(name: string): LiveNode | undefined {
    return this.nodes.get(name);
  }

  /** Holds `live` under its record's name, replacing what was there. */
  set(live: LiveNode): void {
    this.nodes.set(live.record.name, live);
  }

  /** Every node, in the order first held. */
  values(): IterableIterator<LiveNode> {
    return this.nodes.values();
  }

  /** Names in the pool of (service, region), or undefined when it has none. */
  pool(service: string, region: string): ReadonlySet<string> | undefined {
    return this.byPool.get(poolKey(service, region));
  }

  /** Adds the record's name to its pool. */
  index(r: NodeRecord): void {
    const key = poolKey(r.service, r.region);
    let names = this.byPool.get(key);
    if (!names) this.byPool.set(key, (names = new Set()));
    names.add(r.name);
  }

  /** Takes the record's name out of its pool. */
  unindex(r: NodeRecord): void {
    const key = poolKey(r.service, r.region);
    const names = this.byPool.get(key);
    names?.delete(r.name);
    if (names?.size === 0) this.byPool.delete(key);
  }

  /** Forgets every node. */
  clear(): void {
    this.nodes.clear();
    this.byPool.clear();
  }
}

// NUL cannot occur in a declared name, so no two (service, region) pairs share a key.
const poolKey = (service: string, region: string): string => `${service}\0${region}`;
