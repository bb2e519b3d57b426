// Prometheus metrics of contract §7, on a registry of their own (not
// prom-client's global one) so several servers in one test process do not
// collide. Values that already live elsewhere (node counts, heartbeats) are
// read at scrape time instead of being updated on the hot path.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from '../package/index.js';
import type { NodeState } from '../store/index.js';

const STATES: NodeState[] = ['warm', 'active', 'drain', 'down', 'deleted'];

/** The rcode names `xplane_dns_queries_total` counts by (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS). */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'BADVERS'] as const;

/** The route label of a request no route matched: one value, so a scanner's URLs cannot add series. */
export const UNMATCHED_ROUTE = 'unmatched';

// prom-client's default gauges that end in _total, which `promtool check metrics` rejects (only a
// counter may). Each is the sum of the by-type gauge of the same name without _total, which stays:
// sum(nodejs_active_handles) is nodejs_active_handles_total.
const TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

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
  /** One sample per HTTP answer; `route` is the route's template (`/v1/services/:service`) or UNMATCHED_ROUTE. */
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status'>;
  /** DNS answers by rcode: the DNS server calls `dnsQueries.inc({ rcode })` once per answer it sends. */
  readonly dnsQueries: Counter<'rcode'>;

  /** `version` labels xplane_build_info (default: this package's version, as `xplane --version` prints it). */
  constructor(sources: MetricsSources, options: { defaultMetrics?: boolean; version?: string } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of TOTAL_GAUGES) this.registry.removeSingleMetric(name);
    }
    new Gauge({ name: 'xplane_build_info', help: 'Always 1; version = the running xplane package version', labelNames: ['version'], registers }).set(
      { version: options.version ?? packageVersion() },
      1,
    );
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
    this.httpRequestDuration = new Histogram({
      name: 'xplane_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.dnsQueries = new Counter({ name: 'xplane_dns_queries_total', help: 'DNS queries answered, by response code', labelNames: ['rcode'], registers });
    // Every rcode from 0, so rate() sees the first NXDOMAIN of a process as an increase.
    for (const rcode of DNS_RCODES) this.dnsQueries.inc({ rcode }, 0);
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
