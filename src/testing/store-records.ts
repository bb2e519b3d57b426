// A node record for store tests that need one row beyond the shared contract suite.
import type { NodeRecord } from '../store/index.js';

/** An active node of svc-plus in jp; `over` replaces any field. */
export function node(name: string, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    name,
    service: 'svc-plus',
    region: 'jp',
    address: '10.0.0.1',
    labels: { zone: 'a' },
    state: 'active',
    stateSince: 1,
    tokenHash: 'h',
    registeredAt: 1,
    lastHeartbeat: 2,
    metrics: { cpu: 0.4, mem: null, qps: null, errorRate: null, rttMs: null },
    ...over,
  };
}
