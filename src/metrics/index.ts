// Prometheus metrics of contract §7, on a registry of their own (not
// prom-client's global one) so several servers in one test process do not
// collide. Values that already live elsewhere (node counts, heartbeats) are
// read at scrape time instead of being updated on the hot path.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodeState } from '../store/index.js';

const STATES: NodeState[] = ['warm', 'active', 'drain', 'down', 'deleted'];

/** Where scrape-time values come from. */
export interface MetricsSources {
  /** Node counts per (service, region, state). */
  nodeCounts: () => { service: string; region: string; state: NodeState; count: number }[];
  /** Heartbeats accepted since start. */
  heartbeatCount: () => number;
  /** 1 on the replica that runs the controllers. */
  isLeader: () => boolean;
}

/** Every xplane metric; controllers and sync set theirs directly. */
export class Metrics {
  /** The registry /metrics serves. */
  readonly registry = new Registry();
  readonly regionWeight: Gauge<'service' | 'region'>;
  readonly desiredNodes: Gauge<'service' | 'region'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly decisions: Counter<'controller' | 'kind'>;
  readonly gitCommits: Counter;
  readonly gitPushFailures: Counter;
  readonly syncLastSuccess: Gauge;
  readonly configValid: Gauge;
  readonly selfProtection: Gauge<'service' | 'reason'>;

  constructor(sources: MetricsSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.regionWeight = new Gauge({
      name: 'xplane_region_weight',
      help: 'Effective DNS weight of a region for a service (0 = out of rotation)',
      labelNames: ['service', 'region'],
      registers,
    });
    this.desiredNodes = new Gauge({
      name: 'xplane_desired_nodes',
      help: 'Nodes the autoscaler wants in a region for a service',
      labelNames: ['service', 'region'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'xplane_reconcile_duration_seconds',
      help: 'Duration of one controller pass',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.decisions = new Counter({ name: 'xplane_decisions_total', help: 'Decisions made by the controllers', labelNames: ['controller', 'kind'], registers });
    this.gitCommits = new Counter({ name: 'xplane_git_commits_total', help: 'Commits pushed by the control loop', registers });
    this.gitPushFailures = new Counter({ name: 'xplane_git_push_failures_total', help: 'Pushes that failed (rejected or unreachable)', registers });
    this.syncLastSuccess = new Gauge({ name: 'xplane_sync_last_success_timestamp_seconds', help: 'When a sync last fetched and accepted the repo', registers });
    this.configValid = new Gauge({ name: 'xplane_config_valid', help: '1 when the newest fetched commit is valid, 0 when it was rejected', registers });
    this.selfProtection = new Gauge({
      name: 'xplane_self_protection',
      help: '1 while self-protection freezes a service (no exclusions, weight cuts for down nodes, scale-downs or replacements); reason = panic | store | git',
      labelNames: ['service', 'reason'],
      registers,
    });
    new Gauge({
      name: 'xplane_nodes',
      help: 'Registered nodes by state',
      labelNames: ['service', 'region', 'state'],
      registers,
      collect() {
        this.reset();
        const seen = new Set<string>();
        for (const c of sources.nodeCounts()) {
          const key = `${c.service}\0${c.region}`;
          if (!seen.has(key)) {
            seen.add(key);
            for (const state of STATES) this.set({ service: c.service, region: c.region, state }, 0);
          }
          this.set({ service: c.service, region: c.region, state: c.state }, c.count);
        }
      },
    });
    let reported = 0;
    new Counter({
      name: 'xplane_heartbeats_total',
      help: 'Heartbeats accepted',
      registers,
      collect() {
        const total = sources.heartbeatCount();
        if (total > reported) this.inc(total - reported);
        reported = total;
      },
    });
    new Gauge({
      name: 'xplane_leader',
      help: '1 on the replica that runs the controllers, else 0',
      registers,
      collect() {
        this.set(sources.isLeader() ? 1 : 0);
      },
    });
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of the exposition. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
