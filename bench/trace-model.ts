// A realistic day of load for svc-plus, as `xplane metrics export` would give
// it: jp (UTC+9) with a night trough, a morning ramp, a lunch dip, an evening
// peak and a spike at 14:30 local; sg (UTC+8) the same shape at under half the
// size, without the spike. Demand is in nodes (1.0 = one node fully busy),
// with smoothed noise from a fixed seed, so the same call gives the same
// trace. During the spike jp answers slowly and with errors, as an overloaded
// region does. bench/example-trace.ts writes the committed example from it;
// bench/simulate.ts replays a week of it.
import { csvHeader, csvLine } from '../src/trace/index.js';
import { seededRandom } from '../src/testing/index.js';

/** What to generate. */
export interface TraceModelOptions {
  /** First row's time (epoch ms). */
  start: number;
  /** Rows this far apart. */
  stepMs: number;
  /** How long. */
  durationMs: number;
  seed: number;
}

/** jp's demand by local hour: [hour, nodes busy], straight lines between. */
const SHAPE: readonly [number, number][] = [
  [0, 0.9],
  [2, 0.5],
  [4, 0.35],
  [6, 0.45],
  [7, 0.7],
  [8.5, 1.8],
  [10, 2.6],
  [12, 2.3],
  [13, 2.5],
  [17, 2.4],
  [19, 1.9],
  [21, 2.1],
  [23, 1.3],
  [24, 0.9],
];

function shape(hour: number): number {
  for (let i = 1; i < SHAPE.length; i += 1) {
    const [h1, v1] = SHAPE[i] as [number, number];
    const [h0, v0] = SHAPE[i - 1] as [number, number];
    if (hour <= h1) return v0 + ((v1 - v0) * (hour - h0)) / (h1 - h0);
  }
  return SHAPE[0]?.[1] ?? 0;
}

/** The spike: from 14:30 local, ramping up over 2 minutes to 1.9×, for 20 minutes, then back over 5. */
function spike(hour: number): number {
  const m = (hour - 14.5) * 60;
  if (m < 0 || m > 27) return 1;
  if (m < 2) return 1 + 0.9 * (m / 2);
  if (m <= 22) return 1.9;
  return 1.9 - 0.9 * ((m - 22) / 5);
}

interface Region {
  name: string;
  utcOffset: number;
  scale: number;
  spike: boolean;
  weight: number;
  rttMs: number;
}

const REGIONS: readonly Region[] = [
  { name: 'jp', utcOffset: 9, scale: 1, spike: true, weight: 100, rttMs: 45 },
  { name: 'sg', utcOffset: 8, scale: 0.42, spike: false, weight: 10, rttMs: 62 },
];

const round = (v: number, d: number): number => Number(v.toFixed(d));

/** The trace as CSV text: a header, then a row per region every `stepMs`. */
export function traceCsv(options: TraceModelOptions): string {
  const random = seededRandom(options.seed);
  // Noise that wanders (AR(1)) rather than jumps from row to row, as real load does.
  const noise = REGIONS.map(() => 0);
  const keep = Math.exp(-options.stepMs / 300_000);
  const out = [csvHeader()];
  for (let at = options.start; at <= options.start + options.durationMs; at += options.stepMs) {
    REGIONS.forEach((r, i) => {
      noise[i] = (noise[i] ?? 0) * keep + (random() - 0.5) * 0.12 * Math.sqrt(1 - keep * keep) * 2;
      const hour = (((at / 3_600_000 + r.utcOffset) % 24) + 24) % 24;
      const surge = r.spike ? spike(hour) : 1;
      const demand = Math.max(0.05, shape(hour) * r.scale * surge * (1 + (noise[i] ?? 0)));
      const busy = surge > 1.2;
      out.push(
        csvLine({
          at,
          service: 'svc-plus',
          region: r.name,
          cpuDemand: round(demand, 4),
          active: Math.min(5, Math.max(1, Math.ceil(demand / 0.6))),
          warm: 0,
          drain: 0,
          down: 0,
          unknown: 0,
          weight: r.weight,
          qps: round(demand * 120, 1),
          // During the spike jp's answers slow down past rtt_threshold and fail past error_rate_threshold: GTM cuts its weight.
          errorRate: round(busy ? 0.06 + random() * 0.02 : 0.001 + random() * 0.002, 4),
          rttMs: round(r.rttMs * (busy ? 7.5 : 1) * (0.9 + random() * 0.2), 1),
        }),
      );
    });
  }
  return `${out.join('\n')}\n`;
}
