// Plain-data builders for the GTM tests: the seed policy of
// platform-config/gtm/svc-plus.yaml and pools whose nodes are named as the
// autoscaler names them. Test-only; not exported from index.ts.
import type { GtmPolicy, GtmRegion } from '../config/index.js';
import type { NodeObservation, PoolView } from '../decision/index.js';

/** A registry state as the controllers see it. */
export type State = NodeObservation['state'];

/** The seed policy (jp base 100, sg base 10, min_ready_nodes 1, fallback true), min_change_interval 60 s. */
export function seedPolicy(regions?: Partial<Record<'jp' | 'sg', Partial<GtmRegion>>>): GtmPolicy {
  return {
    service: 'svc-plus',
    domain: 'api.svc.plus',
    regions: [
      { name: 'jp', weight: 100, min_ready_nodes: 1, fallback: true, ...regions?.jp },
      { name: 'sg', weight: 10, min_ready_nodes: 1, fallback: true, ...regions?.sg },
    ],
    health: { type: 'http', path: '/healthz', port: 8080, interval: 5_000, timeout: 2_000, rise: 2, fall: 3 },
    latency: { rtt_threshold: 300, rtt_factor: 0.7, error_rate_threshold: 0.05, error_factor: 0.5 },
    dns: { provider: 'route53', zone: 'svc.plus', ttl: 30 },
    global: { override_hold: 1_800_000, min_change_interval: 60_000 },
  };
}

/** The name of node n (1-based) of svc-plus in a region. */
export const nodeName = (region: string, n: number): string => `${region}-svc-plus-${n}`;

/** An observation of one node in a state, with no metrics of its own. */
export function obs(name: string, state: State): NodeObservation {
  return { name, state, stateSince: state === 'unknown' ? null : 0, addedAt: 0, cpu: null, rttMs: null, errorRate: null };
}

/**
 * A pool of nodes `<region>-svc-plus-1..n` in the given states. `excluded` lists node numbers
 * (or raw names); by default it is already what GTM wants (every node not active), so a row
 * only sees the change it is about.
 */
export function pv(region: string, weight: number, states: State[], excluded?: (number | string)[]): PoolView {
  const names = states.map((_, i) => nodeName(region, i + 1));
  return {
    pool: {
      weight,
      nodes: names,
      excluded: excluded ? excluded.map((e) => (typeof e === 'number' ? nodeName(region, e) : e)) : names.filter((_, i) => states[i] !== 'active'),
    },
    nodes: names.map((name, i) => obs(name, states[i] ?? 'unknown')),
  };
}
