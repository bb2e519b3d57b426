// What the global stack builds for one Cloudflare service: a load balancer
// over the pools the region stacks made, decided as plain data from what
// those stacks export. A region without a pool (no usable node, or not
// converged yet with one) is left out; a pool with weight 0 stays in with
// steering weight 0, so Cloudflare still has it to fail over to.
import { z } from 'zod';
import { cloudflarePoolWeights } from './dns-weights.js';

/** What a region stack exports per service (see region-stack.ts). */
export const serviceExportSchema = z.looseObject({
  provider: z.string(),
  weight: z.number(),
  poolId: z.string().optional(),
});

/** The `services` output of a region stack, as the global stack reads it. */
export const regionServicesSchema = z.record(z.string(), serviceExportSchema);

/** One region's pool for a service. */
export interface RegionPoolRef {
  region: string;
  poolId: string;
  weight: number;
  /** gtm `fallback`: may serve when every region would otherwise be out. */
  fallback: boolean;
}

/** A Cloudflare load balancer, decided. */
export interface LoadBalancerPlan {
  /** Pool ids, highest weight first (the failover order Cloudflare uses when steering cannot pick). */
  defaultPools: string[];
  /** Served when every pool is unhealthy. */
  fallbackPool: string;
  /** Random steering weights by pool id. */
  poolWeights: Record<string, number>;
}

/**
 * The load balancer over `pools`, or undefined when there is none (Cloudflare
 * requires at least one). The fallback pool is the heaviest region whose gtm
 * entry has `fallback: true`, else the heaviest region; ties go by region name
 * so the plan is stable between runs.
 */
export function planLoadBalancer(pools: readonly RegionPoolRef[]): LoadBalancerPlan | undefined {
  if (pools.length === 0) return undefined;
  const ordered = [...pools].sort((a, b) => b.weight - a.weight || (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
  const fallback = ordered.find((p) => p.fallback) ?? ordered[0];
  if (!fallback) return undefined;
  return {
    defaultPools: ordered.map((p) => p.poolId),
    fallbackPool: fallback.poolId,
    poolWeights: cloudflarePoolWeights(Object.fromEntries(ordered.map((p) => [p.poolId, p.weight]))),
  };
}
