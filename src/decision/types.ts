// A decision is a plain value with its reason: what a controller wants to
// change in one pool of one region stack, and why. It prints itself as the
// commit line (contract §4), and the git writer is the only code that turns
// decisions into file changes.
import type { Pool } from '../config/index.js';
import type { NodeState } from '../store/index.js';

/** The controllers that write stack config. */
export type Controller = 'gtm' | 'autoscale';

/** The pool keys the loop owns (contract §3). */
export type PoolKey = 'weight' | 'nodes' | 'excluded';

/** New values for some of a pool's owned keys; absent keys stay as they are. */
export interface PoolPatch {
  weight?: number;
  nodes?: string[];
  excluded?: string[];
}

/** What a GTM decision changes: a weight, a new pool, or one node in or out of `excluded`. */
export type GtmKind = 'weight' | 'create_pool' | 'exclude' | 'include' | 'forget';

/** What an autoscale decision changes: the size (`scale_up`, `scale_down`), or one node (`remove`, `replace`). */
export type AutoscaleKind = 'scale_up' | 'scale_down' | 'remove' | 'replace';

/** What every decision carries, whichever controller made it. */
interface DecisionFields {
  service: string;
  region: string;
  /** The commit line: `<controller>: <service> <region> <what> (<why>)`, e.g. `autoscale: svc-plus jp 1→2 (cpu=0.82)`. */
  summary: string;
  /** The inputs that drove it, e.g. `{ cpu: 0.82 }`. */
  why: Record<string, number | string | boolean>;
  /** The pool's owned keys after this decision (cumulative with earlier decisions of the same pass on the same pool). */
  patch: PoolPatch;
}

/** A decision of the GTM controller. */
export interface GtmDecision extends DecisionFields {
  controller: 'gtm';
  kind: GtmKind;
}

/** A decision of the autoscaler. */
export interface AutoscaleDecision extends DecisionFields {
  controller: 'autoscale';
  kind: AutoscaleKind;
}

/** A decision as the controllers make it: `kind` is checked against `controller` (`{controller: 'gtm', kind: 'scale_up'}` does not type-check). */
export type ControllerDecision = GtmDecision | AutoscaleDecision;

/** One decision about one pool, as the controllers make it. */
export type Decision = ControllerDecision;

/** What the controllers know about one node named in a pool's `nodes`. */
export interface NodeObservation {
  name: string;
  /** Registry state; `unknown` when no agent has registered under this name (yet). */
  state: NodeState | 'unknown';
  /** When the state last changed (epoch ms); null when unknown. */
  stateSince: number | null;
  /** When the loop first saw this name in `nodes`, or added it (epoch ms). */
  addedAt: number;
  /**
   * True while the state is only what the store said when this term began: the registry has not
   * heard from or about the node since (no heartbeat, probe or timeout). It is the previous term's
   * word, not evidence seen in this one (contract §3, "Exclusion needs evidence").
   */
  loaded?: boolean;
  /** Windowed averages; null when the node has no fresh data. */
  cpu: number | null;
  rttMs: number | null;
  errorRate: number | null;
}

/** One pool as the controllers see it: the stack's current values and its nodes' observations. */
export interface PoolView {
  /** The pool in the stack file at the head commit; undefined when the stack has no entry for this service yet. */
  pool: Pool | undefined;
  /** One observation per name in `pool.nodes`, in the same order. */
  nodes: NodeObservation[];
}
