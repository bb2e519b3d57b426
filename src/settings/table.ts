// The settings every command shares (contract §6). Each has three spellings:
// the xplane.yaml key (`sync_interval`), the flag (`--sync-interval`) and the
// environment variable (`XPLANE_SYNC_INTERVAL`), all derived from the key.

/** How a setting's text is read. */
export type SettingKind = 'string' | 'duration' | 'bool' | 'int' | 'ratio';

/** One row of the settings table. */
export interface SettingSpec {
  kind: SettingKind;
  default: string | number | boolean;
  help: string;
}

/** Every setting, with its default and help line. */
export const SETTINGS = {
  repo: { kind: 'string', default: '.', help: 'GitOps repo: URL or local path' },
  branch: { kind: 'string', default: 'main', help: 'branch to watch and write' },
  workdir: { kind: 'string', default: '.xplane/work', help: 'local clone used by sync and the git writer' },
  db: { kind: 'string', default: '.xplane/xplane.db', help: 'SQLite path or postgres:// URL' },
  listen: { kind: 'string', default: '127.0.0.1:7070', help: 'API listen address host:port' },
  sync_interval: { kind: 'duration', default: 10_000, help: 'how often to poll the repo' },
  reconcile_interval: { kind: 'duration', default: 10_000, help: 'how often controllers run a pass' },
  push: { kind: 'bool', default: true, help: 'push the loop’s commits to the remote' },
  dry_run: { kind: 'bool', default: false, help: 'compute and log decisions, write nothing' },
  author: { kind: 'string', default: 'xplane-bot <xplane-bot@users.noreply.local>', help: 'author of the loop’s commits' },
  probe: { kind: 'bool', default: true, help: 'actively probe nodes’ health endpoints' },
  register_per_minute: { kind: 'int', default: 600, help: 'node registrations accepted per minute per client address' },
  metrics_public: { kind: 'bool', default: true, help: 'serve /metrics without a token (false: admin token)' },
  dns_listen: { kind: 'string', default: '127.0.0.1:5353', help: 'embedded DNS server for the local provider, host:port (off: none)' },
  dns_nameservers: {
    kind: 'string',
    default: 'auto',
    help: 'NS records at each zone apex, comma-separated name or name=ipv4 (auto: ns1.<zone> at the DNS listen address)',
  },
  dns_dir: { kind: 'string', default: '.xplane/local/dns', help: 'where the local target writes its DNS record files' },
  lease_ttl: {
    kind: 'duration',
    default: 10_000,
    help: 'leader lease: with several replicas on one store, another takes over within 2 × this after the leader dies',
  },
  advertise: { kind: 'string', default: 'auto', help: 'URL the other replicas forward API requests to while this one leads (auto: http://<listen>)' },
  panic_threshold: {
    kind: 'ratio',
    default: 0.5,
    help: 'share of a service’s nodes going down in one evaluation above which the loop freezes exclusions and scale-downs',
  },
  converge: { kind: 'string', default: 'ci', help: 'who converges the stacks: ci (CI runs xplane converge) or inline (serve does, after each commit)' },
  metrics_retention: {
    kind: 'duration',
    default: 7 * 24 * 3_600_000,
    help: 'how long serve keeps the metrics history (what the controllers saw, for xplane metrics export and simulate)',
  },
  metrics_max_rows: { kind: 'int', default: 1_000_000, help: 'most rows of metrics history kept, whatever their age (the oldest go first)' },
} as const satisfies Record<string, SettingSpec>;

/** A setting's key, e.g. `sync_interval`. */
export type SettingKey = keyof typeof SETTINGS;

/** Resolved settings: durations in milliseconds. */
export type Settings = {
  [K in SettingKey]: (typeof SETTINGS)[K]['kind'] extends 'string' ? string : (typeof SETTINGS)[K]['kind'] extends 'bool' ? boolean : number;
};

/** `sync_interval` → `sync-interval`. */
export function flagName(key: string): string {
  return key.replaceAll('_', '-');
}

/** `sync_interval` → `XPLANE_SYNC_INTERVAL`. */
export function envName(key: string): string {
  return `XPLANE_${key.toUpperCase()}`;
}
