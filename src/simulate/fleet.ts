// The simulated fleet a replay runs the controllers against: the stack pools
// as the replayed commits left them, a node behind every name, and the trace's
// load. It answers a pass's questions the way the node registry does
// (FleetSource), so the production gatherFacts and planPass run on it as they
// run in `xplane serve`:
// - a name the policy adds is `unknown` (no agent yet) until `boot` has passed,
//   then `active`;
// - the trace's CPU demand of a (service, region) is spread evenly over its
//   active nodes, each capped at 1 (a node cannot be busier than busy); the
//   region's rtt, error rate and qps are the trace's; no active node, or a row
//   without CPU, reads as stale metrics;
// - a pass's victims go into `drain` when its commit lands, and removed names
//   leave the fleet, as the reconciler does after a push;
// - when the trace's `down` count of a region rises, as many of its active
//   nodes go down (the oldest first); a down node stays down until the policy
//   replaces or removes it.
// Between rows the last row of each region holds.
import type { Declarations, Pool } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import type { FleetSource } from '../reconcile/index.js';
import type { TraceRow } from '../trace/index.js';

/** The state of a simulated node, as the registry would have it. */
type SimState = 'unknown' | 'active' | 'drain' | 'down';

interface SimNode {
  name: string;
  service: string;
  region: string;
  state: SimState;
  stateSince: number | null;
  /** When an `unknown` node turns active. */
  bootAt: number;
}

/** One (service, region) of the trace: its rows and where the replay is in them. */
interface Lane {
  service: string;
  region: string;
  rows: TraceRow[];
  /** Index of the row in force (the last at or before now), -1 before the first. */
  at: number;
  /** The `down` count of the row in force, to see it rise. */
  downSeen: number;
}

const key = (service: string, region: string): string => `${service}\u0000${region}`;

/** The fleet a replay runs on; see the file comment. */
export class SimFleet implements FleetSource {
  /** The stack pools by region then service, as the replayed commits left them. Replaced, never changed in place. */
  pools: Record<string, Record<string, Pool>> = {};
  private readonly nodes = new Map<string, SimNode>();
  private readonly lanes = new Map<string, Lane>();
  private readonly ordinals = new Map<string, number>();

  /**
   * A fleet at the first row of each lane: its `active` count of nodes active, then its `down`,
   * `drain` and booting (`warm` + `unknown`) ones, named `<region>-<service>-<n>` from 1; the
   * pool's weight is the row's (or the gtm base weight), and every node that is not active is
   * excluded.
   */
  constructor(
    declarations: Declarations,
    lanes: Map<string, TraceRow[]>,
    private readonly bootMs: number,
  ) {
    for (const rows of lanes.values()) {
      const first = rows[0];
      if (!first) continue;
      const { service, region } = first;
      this.lanes.set(key(service, region), { service, region, rows, at: -1, downSeen: first.down });
      const names: string[] = [];
      const excluded: string[] = [];
      const add = (state: SimState, count: number): void => {
        for (let i = 0; i < count; i += 1) {
          const name = `${region}-${service}-${names.length + 1}`;
          names.push(name);
          if (state !== 'active') excluded.push(name);
          this.nodes.set(name, { name, service, region, state, stateSince: first.at, bootAt: state === 'unknown' ? first.at + bootMs : first.at });
        }
      };
      add('active', first.active);
      add('down', first.down);
      add('drain', first.drain);
      add('unknown', first.warm + first.unknown);
      this.ordinals.set(key(region, service), names.length);
      const base = declarations.gtm[service]?.regions.find((r) => r.name === region)?.weight ?? 0;
      this.setPool(region, service, { weight: first.weight ?? base, nodes: names, excluded });
    }
  }

  /** Moves the fleet to `now`: each lane's row in force, downs the trace shows, nodes that finished booting. */
  advance(now: number): void {
    for (const lane of this.lanes.values()) {
      while (lane.at + 1 < lane.rows.length && (lane.rows[lane.at + 1]?.at ?? Number.POSITIVE_INFINITY) <= now) lane.at += 1;
      const row = lane.rows[lane.at];
      if (!row) continue;
      if (row.down > lane.downSeen) this.goDown(lane, row.down - lane.downSeen, row.at);
      lane.downSeen = row.down;
    }
    for (const node of this.nodes.values()) {
      if (node.state === 'unknown' && node.bootAt <= now) {
        node.state = 'active';
        node.stateSince = node.bootAt;
      }
    }
  }

  /** The earliest time after `now` at which a booting node turns active, or Infinity. */
  nextBoot(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const node of this.nodes.values()) if (node.state === 'unknown' && node.bootAt > now && node.bootAt < next) next = node.bootAt;
    return next;
  }

  /**
   * What a landed commit changes: the pools take the decisions' patches; names new to the fleet
   * start booting; the pass's victims go into drain; removed names leave the fleet.
   */
  land(patches: Record<string, Record<string, Partial<Pool>>>, drain: readonly string[], removed: readonly string[], now: number): void {
    for (const [region, byService] of Object.entries(patches)) {
      for (const [service, patch] of Object.entries(byService)) {
        const before = this.pools[region]?.[service];
        const pool: Pool = { weight: before?.weight ?? 0, nodes: before?.nodes ?? [], excluded: before?.excluded ?? [], ...patch };
        this.setPool(region, service, pool);
        for (const name of pool.nodes) {
          if (this.nodes.has(name)) continue;
          this.nodes.set(name, { name, service, region, state: 'unknown', stateSince: null, bootAt: now + this.bootMs });
          const n = Number(/-(\d+)$/.exec(name)?.[1] ?? 0);
          const k = key(region, service);
          if (n > (this.ordinals.get(k) ?? 0)) this.ordinals.set(k, n);
        }
      }
    }
    for (const name of drain) {
      const node = this.nodes.get(name);
      if (node) {
        node.state = 'drain';
        node.stateSince = now;
      }
    }
    for (const name of removed) this.nodes.delete(name);
  }

  /** The trace row in force for a (service, region), or undefined before its first row. */
  row(service: string, region: string): TraceRow | undefined {
    const lane = this.lanes.get(key(service, region));
    return lane?.rows[lane.at];
  }

  /** Active nodes of a (service, region)'s pool. */
  active(service: string, region: string): number {
    let n = 0;
    for (const name of this.pools[region]?.[service]?.nodes ?? []) if (this.nodes.get(name)?.state === 'active') n += 1;
    return n;
  }

  /** Names of a (service, region)'s pool that are not draining: what counts toward max_nodes. */
  live(service: string, region: string): number {
    let n = 0;
    for (const name of this.pools[region]?.[service]?.nodes ?? []) if (this.nodes.get(name)?.state !== 'drain') n += 1;
    return n;
  }

  /** A node's state and figures, as the registry would answer; undefined while no agent runs under the name. */
  observation(name: string, _now: number, addedAt: number): NodeObservation | undefined {
    const node = this.nodes.get(name);
    if (!node || node.state === 'unknown') return undefined;
    const m = node.state === 'active' ? this.regionMetrics(node.service, node.region) : 'stale';
    const fresh = m === 'stale' ? null : m;
    return {
      name,
      state: node.state,
      stateSince: node.stateSince,
      addedAt,
      cpu: fresh?.cpu ?? null,
      rttMs: fresh?.rttMs ?? null,
      errorRate: fresh?.errorRate ?? null,
    };
  }

  /** The trace's demand spread over the region's active nodes; stale before its first row, without CPU, or with no active node. */
  regionMetrics(service: string, region: string): RegionMetrics | 'stale' {
    const row = this.row(service, region);
    const active = this.active(service, region);
    if (!row || row.cpuDemand === null || active === 0) return 'stale';
    return { nodes: active, cpu: Math.min(1, row.cpuDemand / active), qps: row.qps ?? 0, errorRate: row.errorRate, rttMs: row.rttMs };
  }

  /** The highest node number the fleet has used for (region, service). */
  highestOrdinal(region: string, service: string): number {
    return this.ordinals.get(key(region, service)) ?? 0;
  }

  private setPool(region: string, service: string, pool: Pool): void {
    this.pools = { ...this.pools, [region]: { ...this.pools[region], [service]: pool } };
  }

  private goDown(lane: Lane, count: number, at: number): void {
    let left = count;
    for (const name of this.pools[lane.region]?.[lane.service]?.nodes ?? []) {
      const node = this.nodes.get(name);
      if (left === 0) break;
      if (node?.state !== 'active') continue;
      node.state = 'down';
      node.stateSince = at;
      left -= 1;
    }
  }
}
