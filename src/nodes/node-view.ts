// How the registry's nodes are shown: to the API (NodeView, ISO times), to a
// controller pass (state and windowed metrics of one node), to the prober
// (its targets) and to /metrics (counts). Reads only; nothing here changes a node.
import type { Declarations } from '../config/index.js';
import type { NodeFilter, NodeRecord, NodeState } from '../store/index.js';
import { splitAddress } from './address.js';
import type { AverageCell } from './metrics-window.js';
import type { LiveNode } from './node-table.js';
import type { ProbeTarget } from './prober.js';

/** A node as the API shows it. */
export interface NodeView {
  name: string;
  service: string;
  region: string;
  address: string;
  labels: Record<string, string>;
  state: NodeState;
  stateSince: string;
  registeredAt: string;
  lastHeartbeat: string | null;
  cpu: number | null;
  mem: number | null;
  qps: number | null;
  errorRate: number | null;
  rttMs: number | null;
}

/** A node's state and windowed metrics as a controller pass sees them. */
export interface NodeObservationFacts {
  name: string;
  state: NodeState;
  stateSince: number;
  /** When the loop first saw the name in a pool (the caller's, passed through). */
  addedAt: number;
  /** The state is the store's word from before this term: nothing heard of the node since it was loaded. */
  loaded: boolean;
  cpu: number | null;
  rttMs: number | null;
  errorRate: number | null;
}

/** Count of nodes in one (service, region, state). */
export interface NodeCount {
  service: string;
  region: string;
  state: NodeState;
  count: number;
}

/** A record as the API shows it. */
export function toView(r: NodeRecord): NodeView {
  return {
    name: r.name,
    service: r.service,
    region: r.region,
    address: r.address,
    labels: r.labels,
    state: r.state,
    stateSince: new Date(r.stateSince).toISOString(),
    registeredAt: new Date(r.registeredAt).toISOString(),
    lastHeartbeat: iso(r.lastHeartbeat),
    cpu: r.metrics?.cpu ?? null,
    mem: r.metrics?.mem ?? null,
    qps: r.metrics?.qps ?? null,
    errorRate: r.metrics?.errorRate ?? null,
    rttMs: r.metrics?.rttMs ?? null,
  };
}

/** What a controller pass sees of `live`, given its window averages `a` at the pass's instant. */
export function observationOf(live: LiveNode, a: AverageCell, addedAt: number): NodeObservationFacts {
  const fresh = a.samples > 0;
  return {
    name: live.record.name,
    state: live.record.state,
    stateSince: live.record.stateSince,
    addedAt,
    loaded: !live.heard,
    cpu: fresh ? a.cpu : null,
    rttMs: fresh && a.hasRttMs ? a.rttMs : null,
    errorRate: fresh && a.hasErrorRate ? a.errorRate : null,
  };
}

/** Records matching a filter, by name; deleted nodes only when the filter asks for them. */
export function selectRecords(nodes: Iterable<LiveNode>, filter: NodeFilter): NodeRecord[] {
  const out: NodeRecord[] = [];
  for (const { record } of nodes) {
    if (filter.service !== undefined && record.service !== filter.service) continue;
    if (filter.region !== undefined && record.region !== filter.region) continue;
    if (filter.state !== undefined ? record.state !== filter.state : record.state === 'deleted') continue;
    out.push(record);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Count of nodes per (service, region, state). */
export function countByState(nodes: Iterable<LiveNode>): NodeCount[] {
  const counts = new Map<string, NodeCount>();
  for (const { record: r } of nodes) {
    const key = `${r.service}\0${r.region}\0${r.state}`;
    const entry = counts.get(key) ?? { service: r.service, region: r.region, state: r.state, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** What the prober checks: every node not drained or deleted whose service has a gtm health block. */
export function probeTargetsOf(nodes: Iterable<LiveNode>, config: Declarations | undefined): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const live of nodes) {
    const s = live.record.state;
    if (s === 'deleted' || s === 'drain') continue;
    const gtm = config?.gtm[live.record.service];
    if (!gtm) continue;
    targets.push({ name: live.record.name, host: splitAddress(live.record.address).host, health: gtm.health });
  }
  return targets;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
