// What a replay adds up per (service, region): the figures a reviewer of a
// policy change wants side by side (docs/simulate.md says how each is counted).
import type { AutoscalePolicy } from '../config/index.js';
import type { Decision } from '../decision/index.js';

/** A replay's figures for one (service, region). */
export interface RegionTally {
  service: string;
  region: string;
  /** `scale_up` decisions. */
  scaleUps: number;
  /** `scale_down` decisions. */
  scaleDowns: number;
  /** Names in the pool's `nodes` (booting, serving, draining, down: every machine that runs), integrated over time. */
  nodeHours: number;
  /** Time the region's CPU (demand over its active nodes) was above `scale_up_cpu`, or it had demand and no active node. */
  overloadedMinutes: number;
  /** Time the region's live nodes (not draining) were at `max_nodes` or above. */
  atMaxMinutes: number;
  /** GTM `weight` decisions. */
  weightChanges: number;
  /** Scale changes in the opposite direction of the region's previous one, less than two cooldowns after it. */
  flaps: number;
}

/** The figures of one moment of a region, held until the next pass. */
export interface RegionMoment {
  demand: number | null;
  active: number;
  nodes: number;
  live: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Adds up one (service, region) over a replay. Times add up in whole milliseconds, so a day of passes sums exactly. */
export class Tally {
  private readonly counts = { scaleUps: 0, scaleDowns: 0, weightChanges: 0, flaps: 0 };
  private readonly ms = { node: 0, overloaded: 0, atMax: 0 };
  private lastScale: { up: boolean; at: number } | undefined;

  constructor(
    readonly service: string,
    readonly region: string,
    private readonly policy: AutoscalePolicy | undefined,
  ) {}

  /** The figures so far. */
  get figures(): RegionTally {
    return {
      service: this.service,
      region: this.region,
      ...this.counts,
      nodeHours: this.ms.node / HOUR,
      overloadedMinutes: this.ms.overloaded / MINUTE,
      atMaxMinutes: this.ms.atMax / MINUTE,
    };
  }

  /** Counts a decision of this region that landed at `at`. */
  decision(d: Decision, at: number): void {
    const c = this.counts;
    if (d.controller === 'gtm') {
      if (d.kind === 'weight') c.weightChanges += 1;
      return;
    }
    if (d.kind !== 'scale_up' && d.kind !== 'scale_down') return;
    const up = d.kind === 'scale_up';
    if (up) c.scaleUps += 1;
    else c.scaleDowns += 1;
    const cooldown = this.policy?.global.cooldown ?? 0;
    if (this.lastScale && this.lastScale.up !== up && at - this.lastScale.at < 2 * cooldown) c.flaps += 1;
    this.lastScale = { up, at };
  }

  /** Accounts `ms` of time in the state `m`. */
  hold(m: RegionMoment, ms: number): void {
    if (ms <= 0) return;
    this.ms.node += m.nodes * ms;
    const rule = this.policy?.regions[this.region];
    if (!rule) return;
    const demand = m.demand ?? 0;
    if (demand > 0 && (m.active === 0 || demand / m.active > rule.scale_up_cpu)) this.ms.overloaded += ms;
    if (m.live >= rule.max_nodes) this.ms.atMax += ms;
  }
}
