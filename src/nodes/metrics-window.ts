// Sliding-window averages of heartbeat metrics. Heartbeats may come every 5 s or several
// times a second under a benchmark, so the window keeps time buckets (sum and count per
// metric) instead of samples: memory is constant whatever the rate.

/** One heartbeat's metrics; null means "not reported", which is different from 0. */
export interface Sample {
  cpu: number;
  qps: number | null;
  errorRate: number | null;
  rttMs: number | null;
}

/** A node's averages over the window; a metric no sample reported stays null. */
export interface WindowAverage {
  cpu: number;
  qps: number | null;
  errorRate: number | null;
  rttMs: number | null;
  samples: number;
  newest: number;
}

/**
 * A node's averages at one instant, as the window last computed them. The window reuses it, so
 * a pass can refresh every node's averages without allocating: read it before the window is
 * changed or asked about another instant. A metric no fresh sample reported has `has…` false.
 */
export interface AverageCell {
  /** Fresh samples behind the averages; 0 when stale. */
  readonly samples: number;
  readonly newest: number;
  readonly cpu: number;
  readonly qps: number;
  readonly hasQps: boolean;
  readonly errorRate: number;
  readonly hasErrorRate: boolean;
  readonly rttMs: number;
  readonly hasRttMs: boolean;
}

// Numbers only (0, not null, for a missing metric): V8 keeps such fields as doubles and
// updates them in place, where a field that is sometimes null boxes every new value.
class Cell implements AverageCell {
  samples = 0;
  newest = -Infinity;
  cpu = 0;
  qps = 0;
  hasQps = false;
  errorRate = 0;
  hasErrorRate = false;
  rttMs = 0;
  hasRttMs = false;
}

// Each slot is FIELDS numbers in one array of doubles per window: a pass averages every node's
// window, and reading a few contiguous numbers per slot, with nothing allocated, is what keeps
// that pass cheap for 10,000 nodes. Summing the fresh slots is at most `buckets + 1` steps
// whatever the heartbeat rate, and with no running total there is no float drift and no answer
// that depends on the order in which instants are asked about.
const NEWEST = 0; // newest sample in the slot; NaN when the slot never held one
const SAMPLES = 1; // samples in the slot, which is also how many cpu readings it has
const CPU = 2; // cpu sum, then a (sum, count) pair per nullable metric
const QPS = 3;
const ERROR_RATE = 5;
const RTT_MS = 7;
const FIELDS = 9;
// Slot reads are written `s[i] ?? Number.NaN`: every offset read is within the array, so the
// fallback never applies (and NaN is what arithmetic on a missing entry would give); it states
// the number type noUncheckedIndexedAccess cannot prove. It stays inline: a helper function
// made compute() about half again as slow.

/** Time-bucketed metrics of one node; sample timestamps and `now` are epoch ms. */
export class MetricsWindow {
  private windowMs = 1;
  private bucketMs = 1;
  private slotCount = 1;
  private slots: number[] = [];
  private readonly cell = new Cell();
  /** The instant `cell` holds the averages of; NaN once a sample or a resize made it old. */
  private cellAt = Number.NaN;

  constructor(
    windowMs: number,
    private readonly buckets = 12,
  ) {
    this.configure(windowMs);
  }

  /** Slots held: one per bucket and one spare; memory stays this size whatever the sample rate. */
  get capacity(): number {
    return this.slotCount;
  }

  /**
   * Adds one sample; a sample older than everything the window can still hold is dropped. A
   * sample more than two windows older than the newest one held means the wall clock stepped
   * back (heartbeats are stamped on arrival): what came before the step is dropped, or its slots
   * would refuse every new sample, and read as fresh, for as long as the step.
   */
  add(at: number, sample: Sample): void {
    if (!Number.isFinite(at) || !Number.isFinite(sample.cpu)) return;
    if (at < this.newestHeld() - 2 * this.windowMs) this.slots = doubles(this.slotCount * FIELDS);
    const o = this.bucketFor(at);
    if (o < 0) return;
    this.cellAt = Number.NaN;
    const s = this.slots;
    s[o + SAMPLES] = (s[o + SAMPLES] ?? Number.NaN) + 1;
    if (at > (s[o + NEWEST] ?? Number.NaN)) s[o + NEWEST] = at;
    s[o + CPU] = (s[o + CPU] ?? Number.NaN) + sample.cpu;
    addTo(s, o + QPS, sample.qps);
    addTo(s, o + ERROR_RATE, sample.errorRate);
    addTo(s, o + RTT_MS, sample.rttMs);
  }

  /** Average over samples within windowMs of `now`; null when none is fresh (stale, never 0). */
  average(now: number): WindowAverage | null {
    const c = this.averageCell(now);
    if (c.samples === 0) return null;
    return {
      cpu: c.cpu,
      qps: c.hasQps ? c.qps : null,
      errorRate: c.hasErrorRate ? c.errorRate : null,
      rttMs: c.hasRttMs ? c.rttMs : null,
      samples: c.samples,
      newest: c.newest,
    };
  }

  /**
   * The averages at `now` in the window's own reused cell (see AverageCell), computed once per
   * instant: a pass asks for every node's averages twice (its own facts, then its pool's metrics)
   * at one `now`, and only a new sample or a resize can change the answer.
   */
  averageCell(now: number): AverageCell {
    if (this.cellAt !== now) {
      this.compute(now);
      this.cellAt = now;
    }
    return this.cell;
  }

  private compute(now: number): void {
    const s = this.slots;
    let samples = 0;
    let newest = -Infinity;
    let cpu = 0;
    let qps = 0;
    let qpsN = 0;
    let err = 0;
    let errN = 0;
    let rtt = 0;
    let rttN = 0;
    for (let o = 0; o < s.length; o += FIELDS) {
      // A bucket counts when any of its samples is fresh, so staleness is exact and only the
      // oldest bucket may add up to one bucket's worth of slightly older samples.
      const at = s[o + NEWEST] ?? Number.NaN;
      // A slice more than a bucket ahead of `now` is from before a backward clock step.
      if (Number.isNaN(at) || now - at >= this.windowMs || at - now > this.bucketMs) continue;
      samples += s[o + SAMPLES] ?? Number.NaN;
      if (at > newest) newest = at;
      cpu += s[o + CPU] ?? Number.NaN;
      qps += s[o + QPS] ?? Number.NaN;
      qpsN += s[o + QPS + 1] ?? Number.NaN;
      err += s[o + ERROR_RATE] ?? Number.NaN;
      errN += s[o + ERROR_RATE + 1] ?? Number.NaN;
      rtt += s[o + RTT_MS] ?? Number.NaN;
      rttN += s[o + RTT_MS + 1] ?? Number.NaN;
    }
    const c = this.cell;
    c.samples = samples;
    c.newest = newest;
    c.cpu = samples === 0 ? 0 : cpu / samples;
    c.hasQps = qpsN !== 0;
    c.qps = qpsN === 0 ? 0 : qps / qpsN;
    c.hasErrorRate = errN !== 0;
    c.errorRate = errN === 0 ? 0 : err / errN;
    c.hasRttMs = rttN !== 0;
    c.rttMs = rttN === 0 ? 0 : rtt / rttN;
  }

  /** Change the window length (config changed); may drop history. */
  resize(windowMs: number): void {
    if (windowMs === this.windowMs) return;
    this.cellAt = Number.NaN;
    const old = this.slots;
    const order: number[] = [];
    for (let o = 0; o < old.length; o += FIELDS) if (!Number.isNaN(old[o + NEWEST] ?? Number.NaN)) order.push(o);
    // Oldest slice first; a slot's newest sample orders slices as their index does.
    order.sort((a, b) => (old[a + NEWEST] ?? Number.NaN) - (old[b + NEWEST] ?? Number.NaN));
    this.configure(windowMs);
    // Re-file each old bucket whole at its newest timestamp: a config change should not make
    // every node's metrics stale (which would freeze autoscaling for a whole window).
    const s = this.slots;
    for (const from of order) {
      const at = old[from + NEWEST] ?? Number.NaN;
      const o = this.bucketFor(at);
      if (o < 0) continue;
      if (at > (s[o + NEWEST] ?? Number.NaN)) s[o + NEWEST] = at;
      for (let f = SAMPLES; f < FIELDS; f += 1) s[o + f] = (s[o + f] ?? Number.NaN) + (old[from + f] ?? Number.NaN);
    }
  }

  private configure(windowMs: number): void {
    this.windowMs = Math.max(1, windowMs);
    const n = Math.max(1, Math.floor(this.buckets));
    this.bucketMs = Math.max(1, Math.ceil(this.windowMs / n));
    // One slot more than the window needs, so a partly expired oldest bucket is not
    // overwritten while it still holds fresh samples.
    this.slotCount = n + 1;
    this.slots = doubles(this.slotCount * FIELDS);
  }

  // The newest sample any slot holds, or -Infinity when none does.
  private newestHeld(): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (let o = NEWEST; o < this.slots.length; o += FIELDS) {
      const at = this.slots[o] ?? Number.NaN;
      if (at > newest) newest = at;
    }
    return newest;
  }

  // The offset of the slot for time `at`, cleared when it held an older slice; -1 when `at` is
  // older than the slice the slot holds now (it fell out of the window long ago). The slice a
  // slot holds is its newest sample's: every sample in it was filed by this same division.
  private bucketFor(at: number): number {
    const index = Math.floor(at / this.bucketMs);
    const o = (((index % this.slotCount) + this.slotCount) % this.slotCount) * FIELDS;
    const s = this.slots;
    const held = Math.floor((s[o + NEWEST] ?? Number.NaN) / this.bucketMs);
    if (held === index) return o;
    if (held > index) return -1;
    s[o + NEWEST] = at;
    for (let f = SAMPLES; f < FIELDS; f += 1) s[o + f] = 0;
    return o;
  }
}

// NaN everywhere (no slot held a slice yet), pushed one by one so V8 keeps the array as unboxed
// doubles inside its own heap: 10,000 typed arrays would each keep their bytes in a separate
// allocation outside it.
function doubles(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push(Number.NaN);
  return out;
}

// Adds a reading to the (sum, count) pair at `at`; a missing or non-finite reading counts nowhere.
function addTo(s: number[], at: number, v: number | null): void {
  if (v === null || !Number.isFinite(v)) return;
  s[at] = (s[at] ?? Number.NaN) + v;
  s[at + 1] = (s[at + 1] ?? Number.NaN) + 1;
}

/** What the GTM and autoscale loops see of one (service, region). */
export interface RegionMetrics {
  nodes: number;
  cpu: number;
  qps: number;
  errorRate: number | null;
  rttMs: number | null;
}

/** Combines per-node averages of one (service, region): cpu = mean over nodes, qps = sum, errorRate = qps-weighted mean when qps known else mean, rttMs = mean of nodes that report it; 'stale' when the list is empty. */
export function aggregateRegion(nodes: WindowAverage[]): RegionMetrics | 'stale' {
  const sum = new RegionSum();
  for (const n of nodes) sum.add(n.cpu, n.qps, n.errorRate, n.rttMs);
  return sum.result();
}

/** aggregateRegion one node at a time, without a list of averages: `reset`, `add` each node, `result`. */
export class RegionSum {
  private nodes = 0;
  private cpu = 0;
  private qps = 0;
  private rtt = 0;
  private rttCount = 0;
  private err = 0;
  private errCount = 0;
  private weightedErr = 0;
  private errWeight = 0;
  private errAllHaveQps = true;

  /** Empties the sum for the next (service, region). */
  reset(): this {
    this.nodes = 0;
    this.cpu = 0;
    this.qps = 0;
    this.rtt = 0;
    this.rttCount = 0;
    this.err = 0;
    this.errCount = 0;
    this.weightedErr = 0;
    this.errWeight = 0;
    this.errAllHaveQps = true;
    return this;
  }

  /** Adds one node's averages; null is a metric it did not report. */
  add(cpu: number, qps: number | null, errorRate: number | null, rttMs: number | null): void {
    this.nodes += 1;
    this.cpu += cpu;
    if (qps !== null) this.qps += qps;
    if (rttMs !== null) {
      this.rtt += rttMs;
      this.rttCount += 1;
    }
    if (errorRate !== null) {
      this.err += errorRate;
      this.errCount += 1;
      if (qps === null) this.errAllHaveQps = false;
      else {
        this.weightedErr += errorRate * qps;
        this.errWeight += qps;
      }
    }
  }

  /** The region's metrics, or 'stale' when no node was added. */
  result(): RegionMetrics | 'stale' {
    if (this.nodes === 0) return 'stale';
    // Weighting by qps needs every reporting node's qps: mixing weighted and unweighted nodes
    // would silently discount the ones without qps. Zero total traffic has no weights either.
    const errorRate = this.errCount === 0 ? null : this.errAllHaveQps && this.errWeight > 0 ? this.weightedErr / this.errWeight : this.err / this.errCount;
    return { nodes: this.nodes, cpu: this.cpu / this.nodes, qps: this.qps, errorRate, rttMs: this.rttCount === 0 ? null : this.rtt / this.rttCount };
  }
}
