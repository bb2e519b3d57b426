// Plain typed data for the declarations of contract §2 and the stack config of
// §3, as they look after validation: defaults applied, durations in
// milliseconds. Keys keep the YAML spelling so an error path and a field name
// are the same string.

/** A duration in milliseconds, parsed from `500ms`, `5s`, `1m`, `2h`. */
export type Millis = number;

/** One region of a gtm policy. */
export interface GtmRegion {
  name: string;
  /** Base weight, integer >= 0. */
  weight: number;
  /** Below this many ready nodes the region's weight is 0. */
  min_ready_nodes: number;
  /** May serve when every region would otherwise be out. */
  fallback: boolean;
}

/** How nodes of a service are health-checked. */
export interface HealthCheck {
  type: 'http' | 'tcp';
  path: string;
  port: number;
  interval: Millis;
  timeout: Millis;
  rise: number;
  fall: number;
}

/** Latency and error-rate factors of the GTM weight. */
export interface LatencyPolicy {
  rtt_threshold: Millis;
  rtt_factor: number;
  error_rate_threshold: number;
  error_factor: number;
}

/** The DNS providers a gtm `dns.provider` may name (contract §2); `local` is xplane's embedded DNS server. */
export const DNS_PROVIDERS = ['route53', 'cloudflare', 'powerdns', 'alidns', 'local'] as const;

/** A gtm `dns.provider`. */
export type DnsProviderName = (typeof DNS_PROVIDERS)[number];

/** Where a service's DNS records are made. */
export interface DnsSettings {
  provider: DnsProviderName;
  zone: string;
  ttl: number;
}

/** Loop tuning that a gtm file may set. */
export interface GtmGlobal {
  /** After a human changes a key the loop owns, leave it alone this long. */
  override_hold: Millis;
  /** A pool's weight changes at most once per this interval unless the change is urgent. */
  min_change_interval: Millis;
}

/** platform-config/gtm/<service>.yaml */
export interface GtmPolicy {
  service: string;
  domain: string;
  regions: GtmRegion[];
  health: HealthCheck;
  latency: LatencyPolicy;
  dns: DnsSettings;
  global: GtmGlobal;
}

/** The `global` block of an autoscale policy. */
export interface AutoscaleGlobal {
  cpu_window: Millis;
  min_regions: number;
  max_regions: number;
  cooldown: Millis;
  scale_down_stabilization: Millis;
  drain: Millis;
  replace_after: Millis;
  override_hold: Millis;
  on_missing_metrics: 'hold' | 'scale_up';
  provision_timeout: Millis;
}

/** Per-region scaling rule of an autoscale policy. */
export interface AutoscaleRegion {
  min_nodes: number;
  max_nodes: number;
  scale_up_cpu: number;
  scale_down_cpu: number;
  scale_up_step: number;
  scale_down_step: number;
}

/** platform-config/autoscale/<service>.yaml */
export interface AutoscalePolicy {
  service: string;
  global: AutoscaleGlobal;
  regions: Record<string, AutoscaleRegion>;
}

/** platform-config/regions/<region>.yaml */
export interface RegionDef {
  name: string;
  provider: 'aws' | 'local';
  location?: string;
  instance_type?: string;
  node_template: 'containerd-only' | 'k3s-worker' | 'k3s-master';
  labels: Record<string, string>;
  cost_per_node_hour?: number;
  max_nodes?: number;
}

/** One service's pool in a region stack (`xplane:pools.<service>`). */
export interface Pool {
  weight: number;
  nodes: string[];
  excluded: string[];
}

/** stacks/Pulumi.<region>.yaml, the parts xplane reads. */
export interface StackConfig {
  region: string;
  pools: Record<string, Pool>;
}

/** Everything a GitOps repo declares, validated and cross-checked. */
export interface Declarations {
  gtm: Record<string, GtmPolicy>;
  autoscale: Record<string, AutoscalePolicy>;
  regions: Record<string, RegionDef>;
  stacks: Record<string, StackConfig>;
}

/** A problem in a declaration file, positioned for `file:line:col` output. */
export interface ConfigIssue {
  /** Path relative to the repo root, e.g. `platform-config/gtm/svc-plus.yaml`. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** Dotted key path, e.g. `regions.jp.scale_up_cpu`; empty for the whole file. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

/** A file of the repo as text, named by its path relative to the repo root. */
export interface SourceFile {
  path: string;
  text: string;
}

/** The outcome of validating a repo: the declarations, or every problem found. */
export type LoadResult =
  | { ok: true; declarations: Declarations; /** Allowed but likely not meant (contract §2's cross-file warnings). */ warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[] };
