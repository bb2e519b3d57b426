// The gtm `health` block (contract §2) translated into each DNS provider's
// own health check, so a dead node leaves DNS even while xplane and CI are
// down (contract §8). Providers accept fewer settings than the gtm block
// states; each function picks the nearest one they do accept and the comments
// say what is lost.
import type { HealthCheck } from '../src/config/index.js';

/** The only request intervals Route 53 health checks accept, in seconds. */
export const ROUTE53_INTERVALS = [10, 30] as const;

/** A Route 53 health check request interval. */
export type Route53Interval = (typeof ROUTE53_INTERVALS)[number];

/**
 * The allowed Route 53 interval nearest to the gtm interval. A tie (20 s) goes
 * to 30 s: the 10 s "fast" interval costs extra per check, so xplane does not
 * pay for it unless the gtm interval is actually closer to it.
 */
export function route53RequestInterval(intervalMs: number): Route53Interval {
  const seconds = intervalMs / 1000;
  return Math.abs(seconds - 10) < Math.abs(seconds - 30) ? 10 : 30;
}

/** Route 53 accepts a failure threshold of 1 to 10 consecutive failures. */
const ROUTE53_FAILURE_THRESHOLD = { min: 1, max: 10 } as const;

/** The settings of an `aws.route53.HealthCheck` for one node, minus its address. */
export interface Route53HealthCheckSettings {
  type: 'HTTP' | 'TCP';
  port: number;
  /** Only for HTTP checks. */
  resourcePath?: string;
  requestInterval: Route53Interval;
  failureThreshold: number;
}

/**
 * Route 53 health check settings from the gtm block. `timeout` has no Route 53
 * counterpart (it waits a fixed 4 s to connect, then 2 s for the first byte),
 * and `rise` neither: Route 53 uses the same threshold both ways.
 */
export function route53HealthCheck(health: HealthCheck): Route53HealthCheckSettings {
  return {
    type: health.type === 'http' ? 'HTTP' : 'TCP',
    port: health.port,
    ...(health.type === 'http' ? { resourcePath: health.path } : {}),
    requestInterval: route53RequestInterval(health.interval),
    failureThreshold: clamp(health.fall, ROUTE53_FAILURE_THRESHOLD.min, ROUTE53_FAILURE_THRESHOLD.max),
  };
}

/**
 * Cloudflare monitors probe at most once a minute on self-serve plans (the
 * API rejects a shorter interval there), so a faster gtm interval becomes
 * 60 s: Cloudflare then takes up to about a minute longer than Route 53 to
 * pull a dead node.
 */
export const CLOUDFLARE_MIN_INTERVAL_S = 60;

/** Cloudflare's accepted monitor timeout and retries. */
const CLOUDFLARE_TIMEOUT_S = { min: 1, max: 10 } as const;
const CLOUDFLARE_RETRIES = { min: 0, max: 5 } as const;

/** The settings of a `cloudflare.LoadBalancerMonitor`, minus the account. */
export interface CloudflareMonitorSettings {
  type: 'http' | 'tcp';
  port: number;
  method: 'GET' | 'connection_established';
  /** Only for HTTP monitors. */
  path?: string;
  /** Only for HTTP monitors. */
  expectedCodes?: '2xx';
  interval: number;
  timeout: number;
  retries: number;
}

/**
 * Cloudflare monitor settings from the gtm block. `fall` becomes `retries =
 * fall − 1` (immediate retries, so `fall` attempts fail before the origin is
 * down) rather than `consecutiveDown = fall`, which would wait `fall` whole
 * intervals — three minutes at the 60 s minimum. `rise` is not mapped:
 * Cloudflare marks an origin healthy on its first passing check.
 */
export function cloudflareMonitor(health: HealthCheck): CloudflareMonitorSettings {
  const http = health.type === 'http';
  return {
    type: health.type,
    port: health.port,
    method: http ? 'GET' : 'connection_established',
    ...(http ? { path: health.path, expectedCodes: '2xx' as const } : {}),
    interval: Math.max(CLOUDFLARE_MIN_INTERVAL_S, Math.ceil(health.interval / 1000)),
    timeout: clamp(Math.ceil(health.timeout / 1000), CLOUDFLARE_TIMEOUT_S.min, CLOUDFLARE_TIMEOUT_S.max),
    retries: clamp(health.fall - 1, CLOUDFLARE_RETRIES.min, CLOUDFLARE_RETRIES.max),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
