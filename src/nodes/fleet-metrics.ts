// The heartbeat metrics the registry keeps: each node's last values (the API
// shows them) and its sliding window, and the windowed figures of one node or
// one (service, region) that the controllers read every pass.
import type { NodeMetrics } from '../store/index.js';
import { MetricsWindow, RegionSum, type AverageCell, type RegionMetrics, type WindowAverage } from './metrics-window.js';
import type { LiveNode, NodeTable } from './node-table.js';
import type { ServicePolicy } from './service-policy.js';

/** Windowed metrics of the registry's nodes and pools. */
export class FleetMetrics {
  private readonly regionSum = new RegionSum();

  constructor(
    private readonly nodes: NodeTable,
    private readonly policy: ServicePolicy,
  ) {}

  /** An empty window for a node of `service`. */
  newWindow(service: string): MetricsWindow {
    return new MetricsWindow(this.policy.windowMs(service));
  }

  /** Takes one heartbeat's metrics at `now`: the node's last values, and a sample in its window. */
  record(live: LiveNode, now: number, metrics: NodeMetrics): void {
    live.record.metrics = metrics;
    live.record.lastHeartbeat = now;
    live.window.add(now, metrics);
  }

  /** Windowed metrics of a service's active nodes in a region, or 'stale' when none reported recently. */
  region(service: string, region: string, now: number): RegionMetrics | 'stale' {
    const names = this.nodes.pool(service, region);
    if (!names) return 'stale';
    const windowMs = this.policy.windowMs(service);
    // One running sum for every call: this runs for each (service, region) of every pass.
    const sum = this.regionSum.reset();
    for (const name of names) {
      const live = this.nodes.get(name);
      if (!live || live.record.state !== 'active') continue;
      const a = this.averageOf(live, now, windowMs);
      if (a.samples > 0) sum.add(a.cpu, a.hasQps ? a.qps : null, a.hasErrorRate ? a.errorRate : null, a.hasRttMs ? a.rttMs : null);
    }
    return sum.result();
  }

  /** Windowed metrics of one node, or null when stale. */
  node(live: LiveNode, now: number): WindowAverage | null {
    live.window.resize(this.policy.windowMs(live.record.service));
    return live.window.average(now);
  }

  /** A node's window averages at `now` (the window's reused cell: read it at once), computed once per (now, window length, heartbeat). */
  averageOf(live: LiveNode, now: number, windowMs = this.policy.windowMs(live.record.service)): AverageCell {
    live.window.resize(windowMs);
    return live.window.averageCell(now);
  }
}
