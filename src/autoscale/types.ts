// The autoscaler's input and result: plain data, `now` included, so a pass can
// be replayed in a test. The rules that turn one into the other are listed in
// compute.ts's header.
import type { AutoscalePolicy, RegionDef } from '../config/index.js';
import type { AutoscaleDecision, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';

/** Everything one autoscale pass decides from; all of it plain data, `now` included. */
export interface AutoscaleInput {
  now: number;
  policy: AutoscalePolicy;
  /** Every declared region (quota max_nodes, cost_per_node_hour). */
  regionDefs: Record<string, RegionDef>;
  /** One entry per region in policy.regions. */
  pools: Record<string, PoolView>;
  /** CPU etc. averaged over cpu_window across each region's ACTIVE nodes; 'stale' when none reported. */
  metrics: Record<string, RegionMetrics | 'stale'>;
  /** Nodes other services use in each region (for the region quota). */
  otherServicesNodes: Record<string, number>;
  /** When the autoscaler last changed each region (cooldown). */
  lastChange: Record<string, number | undefined>;
  /** Since when a scale-down has been wanted continuously in each region (stabilization), carried between passes. */
  scaleDownSince: Record<string, number | undefined>;
  /** Highest node ordinal ever used per region for this service (names only grow: next is +1). */
  maxOrdinal: Record<string, number>;
  /** Keys on human-override hold, as `${region}:nodes` (and `${region}:excluded`). */
  holds: ReadonlySet<string>;
  /** Effective drain time: max(policy drain, 2 × DNS TTL), computed by the caller. */
  drainMs: number;
  /** Set (to the reason, e.g. `panic`) while self-protection freezes the service: add, never take away. */
  frozen?: string;
}

/** What the pass made of one region, for logs and the status API (the "final scale-up plan"). */
export interface RegionPlan {
  /** Live nodes before this pass. */
  current: number;
  /** Live nodes after this pass's decisions. */
  desired: number;
  cpu: number | 'stale';
  /** Which way the region wanted to go (the rule, or a bound it had to meet), whether or not it went. */
  wanted: 'up' | 'down' | 'hold';
  /** Why it went, or why not: a RegionReason (reasons.ts) as reasonText prints it. */
  reason: string;
  /** Live nodes still provisioning (at the start of the pass). */
  coming: number;
  /** Nodes in drain, including this pass's victims. */
  draining: string[];
}

/** The decisions of one pass and the state it hands to the executor and the next pass. */
export interface AutoscaleResult {
  decisions: AutoscaleDecision[];
  /** Nodes to put into `drain` now (the executor tells the registry): scale-down victims. */
  drain: string[];
  /** Nodes the executor marks deleted in the registry (removed from `nodes`). */
  removed: string[];
  /** The stabilization state to carry into the next pass. */
  scaleDownSince: Record<string, number | undefined>;
  regions: Record<string, RegionPlan>;
}
