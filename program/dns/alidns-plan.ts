// What the global stack builds for one AliDNS service, decided as plain data:
// Alibaba Cloud GTM's address pools (one per region with a node in DNS), the
// access strategy's weights between them, and the monitor settings from the
// gtm `health` block. Pure, so table-tested.
//
// Weights: within a pool the addresses share the region evenly (RATIO, each
// lbaWeight 1); between pools the access strategy weighs by region weight,
// relative to the heaviest (1..100). A weight-0 region goes into the failover
// group instead, served only when the default group has no available address,
// which is Route 53's "weight 0 is the last resort". When every region is at
// weight 0 they all serve alike (as Cloudflare's plan does).
import { z } from 'zod';
import type { HealthCheck } from '../../src/config/index.js';

/** The largest lbaWeight the plan gives a pool. */
export const ALIDNS_MAX_POOL_WEIGHT = 100;

/** The intervals (s), timeouts (ms) and evaluation counts GTM monitors accept. */
export const ALIDNS_MONITOR = { interval: 60, timeouts: [2000, 3000, 5000, 10000], evaluationCount: { min: 1, max: 3 } } as const;

/** GTM instance TTLs accepted (s). */
export const ALIDNS_TTLS = [60, 120, 300, 600] as const;

/** What a region stack exports per service, as the AliDNS part reads it (region-stack.ts). */
export const regionNodesSchema = z.record(
  z.string(),
  z.looseObject({
    weight: z.number(),
    nodes: z.array(z.looseObject({ name: z.string(), ip: z.string().optional() })),
    excluded: z.array(z.string()),
  }),
);

/** An address of a pool: a node in DNS. */
export interface AlidnsAddress {
  name: string;
  ip: string;
}

/** One region's nodes as the region stack exported them. */
export interface AlidnsRegionRef {
  region: string;
  weight: number;
  addresses: AlidnsAddress[];
}

/** A pool's weight in the access strategy. */
export interface AlidnsPoolWeight {
  region: string;
  lbaWeight: number;
}

/** A service's GTM, decided. */
export interface AlidnsGtmPlan {
  /** One address pool per region with an address, in the order given. */
  pools: AlidnsRegionRef[];
  defaultPools: AlidnsPoolWeight[];
  /** Weight-0 regions: served only when no default pool has an available address. */
  failoverPools: AlidnsPoolWeight[];
}

/** The GTM of one service over `regions`, or undefined when no region has an address (GTM needs a pool). */
export function planAlidnsGtm(regions: readonly AlidnsRegionRef[]): AlidnsGtmPlan | undefined {
  const pools = regions.filter((r) => r.addresses.length > 0);
  if (pools.length === 0) return undefined;
  const max = Math.max(...pools.map((p) => p.weight));
  if (max <= 0) return { pools, defaultPools: pools.map((p) => ({ region: p.region, lbaWeight: 1 })), failoverPools: [] };
  return {
    pools,
    defaultPools: pools
      .filter((p) => p.weight > 0)
      .map((p) => ({ region: p.region, lbaWeight: Math.max(1, Math.round((p.weight / max) * ALIDNS_MAX_POOL_WEIGHT)) })),
    failoverPools: pools.filter((p) => p.weight <= 0).map((p) => ({ region: p.region, lbaWeight: 1 })),
  };
}

/** The addresses of one region stack's export: nodes with an address that are not excluded. */
export function regionAddresses(exported: { nodes: { name: string; ip?: string | undefined }[]; excluded: string[] }): AlidnsAddress[] {
  const excluded = new Set(exported.excluded);
  return exported.nodes.flatMap((n) => (n.ip === undefined || excluded.has(n.name) ? [] : [{ name: n.name, ip: n.ip }]));
}

/** The settings of a `dns.MonitorConfig`, minus the pool and the probe locations. */
export interface AlidnsMonitorSettings {
  protocolType: 'HTTP' | 'TCP';
  interval: number;
  timeout: number;
  evaluationCount: number;
  /** JSON: what to probe (port, and for HTTP the host, path and the first failing status). */
  monitorExtendInfo: string;
}

/**
 * Monitor settings from the gtm block. GTM probes once a minute at most, so a
 * dead node leaves the answers after about `evaluationCount` minutes; `fall`
 * maps to evaluationCount (1..3), `timeout` to the next timeout GTM accepts,
 * and `rise` has no counterpart. An HTTP probe counts a status of 400 or more
 * as a failure, and a node as failed when half the probe locations say so.
 */
export function alidnsMonitor(health: HealthCheck, domain: string): AlidnsMonitorSettings {
  const timeout = ALIDNS_MONITOR.timeouts.find((t) => t >= health.timeout) ?? 10_000;
  const { min, max } = ALIDNS_MONITOR.evaluationCount;
  const extend =
    health.type === 'http'
      ? { host: domain, path: health.path, port: health.port, code: 400, failureRate: 50, sni: false, nodeType: 'IPV4' }
      : { port: health.port, failureRate: 50 };
  return {
    protocolType: health.type === 'http' ? 'HTTP' : 'TCP',
    interval: ALIDNS_MONITOR.interval,
    timeout,
    evaluationCount: Math.min(max, Math.max(min, health.fall)),
    monitorExtendInfo: JSON.stringify(extend),
  };
}

/** The smallest GTM TTL at least the gtm `dns.ttl` (GTM accepts 60 s at least). */
export function alidnsTtl(ttl: number): number {
  return ALIDNS_TTLS.find((t) => t >= ttl) ?? 600;
}
