// Which nodes leave first on a scale down. Like a cluster-autoscaler expander it
// is a small strategy on its own: nodes that serve nothing go first (down, still
// provisioning outside DNS, or already out of DNS), so a scale down costs no
// traffic when it can; then nodes serving on trust (in DNS but not yet heard
// from), then the least loaded serving nodes, newest first on ties, because the
// newest has the least warm state (caches, connections).
import type { NodeObservation } from '../decision/index.js';
import { nameOrdinal } from './node-names.js';

function rank(o: NodeObservation, excluded: ReadonlySet<string>): number {
  if (o.state === 'down') return 0;
  const joining = o.state === 'unknown' || o.state === 'warm';
  if (joining && excluded.has(o.name)) return 1;
  if (excluded.has(o.name)) return 2;
  if (joining) return 3;
  return 4;
}

/**
 * Orders scale-down candidates, best victim first: down, then unknown/warm outside DNS, then
 * excluded, then unknown/warm still serving, then active by lowest cpu; ties by highest ordinal, then name.
 */
export function orderVictims(candidates: readonly NodeObservation[], excluded: ReadonlySet<string>): NodeObservation[] {
  return [...candidates].sort((a, b) => {
    const ra = rank(a, excluded);
    const rb = rank(b, excluded);
    if (ra !== rb) return ra - rb;
    if (ra === 4) {
      // A serving node without fresh numbers is treated as idle: it is either new or silent.
      const ca = a.cpu ?? 0;
      const cb = b.cpu ?? 0;
      if (ca !== cb) return ca - cb;
    }
    const na = nameOrdinal(a.name) ?? -1;
    const nb = nameOrdinal(b.name) ?? -1;
    if (na !== nb) return nb - na;
    return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
}
