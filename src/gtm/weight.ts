// The weight math of one region, apart from the cross-region rules (fallback,
// rate limit, holds) so each factor can be checked on its own. The rules are
// spelled out in compute.ts's header, where the whole controller is described.
import type { GtmRegion, LatencyPolicy } from '../config/index.js';
import type { RegionMetrics } from '../nodes/index.js';

/** The factors the computed weight is the product of; each is in [0, 1] except base. */
export interface WeightFactors {
  base: number;
  health_ratio: number;
  ready_nodes_factor: number;
  latency_factor: number;
}

/** How many of a pool's nodes count: `ready` are active, `desired` are active or down (should be serving). */
export interface NodeCounts {
  ready: number;
  desired: number;
}

/** One region's wanted weight before the cross-region rules, with the words and numbers that explain it. */
export interface WeightAssessment {
  factors: WeightFactors;
  /** base × factors, quantized to 5% steps of base, an integer. */
  computed: number;
  /** The dominant cause(s), short, for a commit line: `ready 1/2`, `rtt=412ms > 300ms`. */
  cause: string;
  /** The numbers behind it, for a decision's `why` (a new record each time it is read). */
  readonly why: Record<string, number | string | boolean>;
}

/**
 * health_ratio = ready / desired (0 when desired is 0, at most 1);
 * ready_nodes_factor = ready < min_ready_nodes ? 0 : 1;
 * latency_factor = (rtt > rtt_threshold ? rtt_factor : 1) × (errors > error_rate_threshold ? error_factor : 1), 1 when stale;
 * computed = quantizeWeight(base, product of the three).
 */
export function assessWeight(region: GtmRegion, latency: LatencyPolicy, counts: NodeCounts, metrics: RegionMetrics | 'stale'): WeightAssessment {
  const { ready, desired } = counts;
  const base = region.weight;
  const health_ratio = desired === 0 ? 0 : Math.min(1, ready / desired);
  const ready_nodes_factor = ready < region.min_ready_nodes ? 0 : 1;
  // No data is not bad data: a region whose nodes report nothing keeps full latency credit.
  const rtt = metrics === 'stale' ? null : metrics.rttMs;
  const errors = metrics === 'stale' ? null : metrics.errorRate;
  const slow = rtt !== null && rtt > latency.rtt_threshold;
  const failing = errors !== null && errors > latency.error_rate_threshold;
  const latency_factor = (slow ? latency.rtt_factor : 1) * (failing ? latency.error_factor : 1);
  const factors: WeightFactors = { base, health_ratio, ready_nodes_factor, latency_factor };
  const computed = quantizeWeight(base, health_ratio * ready_nodes_factor * latency_factor);
  const cause = causeOf(base, region.min_ready_nodes, counts, { rtt, slow, errors, failing }, latency);
  return new Assessment(factors, computed, cause, counts, region.min_ready_nodes, metrics === 'stale', rtt, errors);
}

// `why` is built when read: the pass assesses every region of every service, and only the few
// whose weight changes put it into a decision.
class Assessment implements WeightAssessment {
  constructor(
    readonly factors: WeightFactors,
    readonly computed: number,
    readonly cause: string,
    private readonly counts: NodeCounts,
    private readonly minReady: number,
    private readonly stale: boolean,
    private readonly rtt: number | null,
    private readonly errors: number | null,
  ) {}

  get why(): Record<string, number | string | boolean> {
    const f = this.factors;
    const why: Record<string, number | string | boolean> = {
      base: f.base,
      ready: this.counts.ready,
      desired: this.counts.desired,
      min_ready_nodes: this.minReady,
      health_ratio: f.health_ratio,
      ready_nodes_factor: f.ready_nodes_factor,
      latency_factor: f.latency_factor,
      computed: this.computed,
    };
    if (this.stale) why.metrics = 'stale';
    if (this.rtt !== null) why.rtt_ms = this.rtt;
    if (this.errors !== null) why.error_rate = this.errors;
    return why;
  }
}

/**
 * Math.round(steps × base / 20) with steps = Math.round(product × 20): base × product to the
 * nearest 5% of base, then to an integer (DNS weights are integers); base 0 → 0.
 */
export function quantizeWeight(base: number, product: number): number {
  if (base <= 0) return 0;
  const steps = Math.round(product * 20);
  // steps × base / 20 rather than steps / 20 × base: the latter carries binary rounding
  // error (7 / 20 × 90 = 31.499…), which would turn an exact .5 down instead of up.
  return Math.round((steps * base) / 20);
}

interface LatencyReading {
  rtt: number | null;
  slow: boolean;
  errors: number | null;
  failing: boolean;
}

// The operator reading `git log` wants the one thing that moved the weight: a min_ready_nodes
// cut zeroes everything else, so it stands alone; otherwise each factor below 1 is named.
function causeOf(base: number, minReady: number, counts: NodeCounts, l: LatencyReading, latency: LatencyPolicy): string {
  if (base <= 0) return 'base weight 0';
  if (counts.ready < minReady) return `ready ${counts.ready} < min ${minReady}`;
  const parts: string[] = [];
  if (counts.ready < counts.desired || counts.desired === 0) parts.push(`ready ${counts.ready}/${counts.desired}`);
  if (l.slow && l.rtt !== null) parts.push(`rtt=${num(l.rtt, 1)}ms > ${num(latency.rtt_threshold, 1)}ms`);
  if (l.failing && l.errors !== null) parts.push(`errors=${num(l.errors, 4)} > ${num(latency.error_rate_threshold, 4)}`);
  if (parts.length === 0) parts.push(`ready ${counts.ready}/${counts.desired}`);
  return parts.join(', ');
}

// Enough digits that a value just over its threshold does not print as equal to it.
function num(x: number, digits: number): string {
  return String(Number(x.toFixed(digits)));
}
