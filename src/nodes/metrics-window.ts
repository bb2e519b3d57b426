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

interface Acc {
  sum: number;
  count: number;
}

interface Bucket {
  index: number; // which bucket-sized time slice this slot currently holds
  newest: number;
  samples: number;
  cpu: Acc;
  qps: Acc;
  errorRate: Acc;
  rttMs: Acc;
}

const NULLABLE = ['qps', 'errorRate', 'rttMs'] as const;

const acc = (): Acc => ({ sum: 0, count: 0 });

/** Time-bucketed metrics of one node; sample timestamps and `now` are epoch ms. */
export class MetricsWindow {
  private windowMs = 1;
  private bucketMs = 1;
  private slots: (Bucket | undefined)[] = [];

  constructor(
    windowMs: number,
    private readonly buckets = 12,
  ) {
    this.configure(windowMs);
  }

  /** Adds one sample; a sample older than everything the window can still hold is dropped. */
  add(at: number, sample: Sample): void {
    if (!Number.isFinite(at) || !Number.isFinite(sample.cpu)) return;
    const b = this.bucketFor(at);
    if (!b) return;
    b.samples += 1;
    b.newest = Math.max(b.newest, at);
    addTo(b.cpu, sample.cpu);
    for (const k of NULLABLE) {
      const v = sample[k];
      if (v !== null && Number.isFinite(v)) addTo(b[k], v);
    }
  }

  /** Average over samples within windowMs of `now`; null when none is fresh (stale, never 0). */
  average(now: number): WindowAverage | null {
    const total = { samples: 0, newest: -Infinity, cpu: acc(), qps: acc(), errorRate: acc(), rttMs: acc() };
    for (const b of this.slots) {
      // A bucket counts when any of its samples is fresh, so staleness is exact and only the
      // oldest bucket may add up to one bucket's worth of slightly older samples.
      if (!b || now - b.newest >= this.windowMs) continue;
      total.samples += b.samples;
      total.newest = Math.max(total.newest, b.newest);
      for (const k of ['cpu', ...NULLABLE] as const) {
        total[k].sum += b[k].sum;
        total[k].count += b[k].count;
      }
    }
    if (total.samples === 0) return null;
    return {
      cpu: mean(total.cpu) ?? 0,
      qps: mean(total.qps),
      errorRate: mean(total.errorRate),
      rttMs: mean(total.rttMs),
      samples: total.samples,
      newest: total.newest,
    };
  }

  /** Change the window length (config changed); may drop history. */
  resize(windowMs: number): void {
    if (windowMs === this.windowMs) return;
    const old = this.slots.filter((b): b is Bucket => b !== undefined).sort((a, b) => a.index - b.index);
    this.configure(windowMs);
    // Re-file each old bucket whole at its newest timestamp: a config change should not make
    // every node's metrics stale (which would freeze autoscaling for a whole window).
    for (const o of old) {
      const b = this.bucketFor(o.newest);
      if (!b) continue;
      b.samples += o.samples;
      b.newest = Math.max(b.newest, o.newest);
      for (const k of ['cpu', ...NULLABLE] as const) {
        b[k].sum += o[k].sum;
        b[k].count += o[k].count;
      }
    }
  }

  private configure(windowMs: number): void {
    this.windowMs = Math.max(1, windowMs);
    const n = Math.max(1, Math.floor(this.buckets));
    this.bucketMs = Math.max(1, Math.ceil(this.windowMs / n));
    // One slot more than the window needs, so a partly expired oldest bucket is not
    // overwritten while it still holds fresh samples.
    this.slots = new Array<Bucket | undefined>(n + 1).fill(undefined);
  }

  // The slot for time `at`, cleared when it held an older slice; undefined when `at` is older
  // than the slice the slot holds now (it fell out of the window long ago).
  private bucketFor(at: number): Bucket | undefined {
    const index = Math.floor(at / this.bucketMs);
    const slot = ((index % this.slots.length) + this.slots.length) % this.slots.length;
    const b = this.slots[slot];
    if (b && b.index === index) return b;
    if (b && b.index > index) return undefined;
    const fresh: Bucket = { index, newest: at, samples: 0, cpu: acc(), qps: acc(), errorRate: acc(), rttMs: acc() };
    this.slots[slot] = fresh;
    return fresh;
  }
}

function addTo(a: Acc, v: number): void {
  a.sum += v;
  a.count += 1;
}

function mean(a: Acc): number | null {
  return a.count === 0 ? null : a.sum / a.count;
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
  if (nodes.length === 0) return 'stale';
  let cpu = 0;
  let qps = 0;
  const rtt = acc();
  const err = acc();
  let weightedErr = 0;
  let errWeight = 0;
  let errAllHaveQps = true;
  for (const n of nodes) {
    cpu += n.cpu;
    if (n.qps !== null) qps += n.qps;
    if (n.rttMs !== null) addTo(rtt, n.rttMs);
    if (n.errorRate !== null) {
      addTo(err, n.errorRate);
      if (n.qps === null) errAllHaveQps = false;
      else {
        weightedErr += n.errorRate * n.qps;
        errWeight += n.qps;
      }
    }
  }
  // Weighting by qps needs every reporting node's qps: mixing weighted and unweighted nodes
  // would silently discount the ones without qps. Zero total traffic has no weights either.
  const errorRate = err.count === 0 ? null : errAllHaveQps && errWeight > 0 ? weightedErr / errWeight : mean(err);
  return { nodes: nodes.length, cpu: cpu / nodes.length, qps, errorRate, rttMs: mean(rtt) };
}
