// What a node reports in each heartbeat, and the one interface the agent
// reads it through, so /proc, the load simulator and test fakes are
// interchangeable.

/** One heartbeat's measurements (contract §5): cpu, mem and errorRate in 0..1. */
export interface NodeStats {
  cpu: number;
  mem?: number;
  qps?: number;
  errorRate?: number;
  rttMs?: number;
}

/** Where the agent gets the measurements for the next heartbeat. */
export interface StatsSource {
  /** Measures since the previous call (or since the source was made). */
  sample(): Promise<NodeStats> | NodeStats;
}

/** Clamps a fraction to 0..1, mapping NaN to 0, because the server rejects anything outside. */
export function fraction(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return value >= 1 ? 1 : value;
}

/** Drops or clamps values the server would reject (contract §5 ranges), so one bad reading cannot cost a heartbeat. */
export function sanitizeStats(stats: NodeStats): NodeStats {
  const clean: NodeStats = { cpu: fraction(stats.cpu) };
  if (stats.mem !== undefined) clean.mem = fraction(stats.mem);
  if (stats.errorRate !== undefined) clean.errorRate = fraction(stats.errorRate);
  if (stats.qps !== undefined) clean.qps = nonNegative(stats.qps);
  if (stats.rttMs !== undefined) clean.rttMs = nonNegative(stats.rttMs);
  return clean;
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
