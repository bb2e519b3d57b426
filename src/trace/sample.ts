// What one pass saw of each declared (service, region), as rows of the metrics
// history: the region's windowed figures (what both controllers read) and how
// many names of its pool were in each state. Pure: the recorder decides when a
// pass is worth a row, and writes it.
import type { SeenPass } from '../reconcile/index.js';
import type { HistoryRow } from '../store/index.js';

/** Every region either controller names for a service, sorted, by service in sorted order. */
export function declaredRegions(declarations: SeenPass['declarations']): Map<string, string[]> {
  const services = [...new Set([...Object.keys(declarations.gtm), ...Object.keys(declarations.autoscale)])].sort();
  const out = new Map<string, string[]>();
  for (const service of services) {
    const gtm = declarations.gtm[service]?.regions.map((r) => r.name) ?? [];
    const autoscale = Object.keys(declarations.autoscale[service]?.regions ?? {});
    out.set(service, [...new Set([...gtm, ...autoscale])].sort());
  }
  return out;
}

/** One row per declared (service, region): what the pass at `seen.now` saw there. */
export function sampleRows(seen: SeenPass): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const [service, regions] of declaredRegions(seen.declarations)) {
    for (const region of regions) {
      const pool = seen.pools[region]?.[service];
      const counts = { active: 0, warm: 0, drain: 0, down: 0, unknown: 0 };
      for (const name of new Set(pool?.nodes ?? [])) {
        const state = seen.facts.nodes.get(name)?.state ?? 'unknown';
        // A deleted name still listed is leaving, like a draining one.
        counts[state === 'deleted' ? 'drain' : state] += 1;
      }
      // FleetFacts keys region metrics as `service/region`.
      const m = seen.facts.metrics.get(`${service}/${region}`) ?? 'stale';
      const fresh = m === 'stale' ? null : m;
      rows.push({
        at: seen.now,
        service,
        region,
        // The region's mean over its reporting active nodes, times how many reported: their sum.
        cpuDemand: fresh === null ? null : fresh.cpu * fresh.nodes,
        ...counts,
        weight: pool?.weight ?? null,
        qps: fresh === null ? null : fresh.qps,
        errorRate: fresh === null ? null : fresh.errorRate,
        rttMs: fresh === null ? null : fresh.rttMs,
      });
    }
  }
  return rows;
}
