// A pass as the reconciler tells it to the recorder, for the trace folder's tests.
import type { NodeObservation } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import type { SeenPass } from '../reconcile/index.js';
import { seedDeclarations } from '../testing/index.js';

const seen = (o: Partial<NodeObservation> & { name: string }): NodeObservation => ({
  state: 'active',
  stateSince: 0,
  addedAt: 0,
  cpu: 0.5,
  rttMs: null,
  errorRate: null,
  ...o,
});

/** The seed example's svc-plus seen at `now`: jp with one node in each state, sg stale with a deleted name. */
export async function pass(now: number): Promise<SeenPass> {
  return {
    now,
    declarations: await seedDeclarations(),
    pools: {
      jp: { 'svc-plus': { weight: 50, nodes: ['jp-1', 'jp-2', 'jp-3', 'jp-4', 'jp-4'], excluded: ['jp-3'] } },
      sg: { 'svc-plus': { weight: 10, nodes: ['sg-1'], excluded: [] } },
    },
    facts: {
      nodes: new Map([
        ['jp-1', seen({ name: 'jp-1' })],
        ['jp-2', seen({ name: 'jp-2', state: 'warm' })],
        ['jp-3', seen({ name: 'jp-3', state: 'down' })],
        ['sg-1', seen({ name: 'sg-1', state: 'deleted' })],
      ]),
      metrics: new Map<string, RegionMetrics | 'stale'>([
        ['svc-plus/jp', { nodes: 2, cpu: 0.45, qps: 120, errorRate: 0.01, rttMs: 80 }],
        ['svc-plus/sg', 'stale'],
      ]),
      highestOrdinal: new Map(),
    },
  };
}
