// What the declarations in force say about a service's nodes: its health
// check, whether the prober checks it, and its metrics window. Asked on every
// event rather than cached, so a new configuration applies at once.
import type { Declarations, HealthCheck } from '../config/index.js';

/** Health settings for a service without a gtm file: heartbeats only, no active probe. */
export const DEFAULT_HEALTH: HealthCheck = { type: 'http', path: '/healthz', port: 8080, interval: 5_000, timeout: 2_000, rise: 2, fall: 3 };
/** Metrics window for a service without an autoscale file. */
export const DEFAULT_WINDOW_MS = 60_000;

/** Per-service settings of the registry, read from the declarations in force. */
export class ServicePolicy {
  constructor(
    /** The declarations in force, or undefined before the first valid configuration. */
    readonly config: () => Declarations | undefined,
    /** Whether an active prober runs at all; without one, heartbeats count as passes. */
    readonly probing: boolean,
  ) {}

  /** The service's gtm health block, or the heartbeat-only default. */
  health(service: string): HealthCheck {
    return this.config()?.gtm[service]?.health ?? DEFAULT_HEALTH;
  }

  /** True when the prober checks the service's nodes (probing is on and the service has a gtm file). */
  probed(service: string): boolean {
    return this.probing && this.config()?.gtm[service] !== undefined;
  }

  /** Length of the service's metrics window in ms. */
  windowMs(service: string): number {
    return this.config()?.autoscale[service]?.global.cpu_window ?? DEFAULT_WINDOW_MS;
  }
}
