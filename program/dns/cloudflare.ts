// Cloudflare: each region stack makes a load-balancer pool of its nodes in
// DNS, checked by a monitor built from the gtm `health` block
// (components/cloudflare-pool.ts); the global stack makes one load balancer
// per service over every region's pool, read through StackReferences, with
// random steering by region weight (global-plan.ts,
// components/cloudflare-load-balancer.ts). A region with no node in DNS gets
// no pool (Cloudflare rejects an empty one).
import * as pulumi from '@pulumi/pulumi';
import type { GtmPolicy } from '../../src/config/index.js';
import { CloudflareLoadBalancer } from '../components/cloudflare-load-balancer.js';
import { CloudflarePool } from '../components/cloudflare-pool.js';
import { planLoadBalancer, regionServicesSchema, type LoadBalancerPlan, type RegionPoolRef } from '../global-plan.js';
import type { DnsProvider, GlobalDnsArgs } from './types.js';

/** One load balancer in the global stack's outputs. */
export interface LoadBalancerOutput {
  domain: string;
  id: pulumi.Output<string>;
  /** Region name → its pool and steering weight. */
  pools: Record<string, { poolId: string; weight: number }>;
  fallbackPool: string;
}

/** The `cloudflare` provider. */
export const cloudflare: DnsProvider = {
  name: 'cloudflare',
  servesLoopback: false,
  buildsEmpty: false,
  perRegion: 'pool',
  region({ service, region, nodes, settings }) {
    if (nodes.length === 0) return {};
    const accountId = settings.cloudflareAccountId;
    if (accountId === undefined) throw new Error(`${service.service} uses Cloudflare DNS: set xplane:cloudflareAccountId in the stack config`);
    const pool = new CloudflarePool(service.service, {
      service: service.service,
      region,
      accountId,
      domain: service.domain,
      health: service.health,
      origins: nodes,
    });
    return { poolId: pool.poolId, monitorId: pool.monitorId };
  },
  async global(args) {
    const zoneId = args.settings.cloudflareZoneId;
    if (zoneId === undefined)
      throw new Error(`${args.services.map((s) => s.service).join(', ')} use Cloudflare DNS: set xplane:cloudflareZoneId in the global stack's config`);
    const loadBalancers: Record<string, LoadBalancerOutput> = {};
    for (const gtm of args.services) {
      const pools = await regionPools(gtm, args);
      const plan = planLoadBalancer(pools);
      if (!plan) {
        void pulumi.log.warn(`${gtm.service}: no region has a Cloudflare pool (no node in DNS anywhere); no load balancer, ${gtm.domain} is left as it is`);
        continue;
      }
      const lb = new CloudflareLoadBalancer(gtm.service, { service: gtm.service, zoneId, domain: gtm.domain, ttl: gtm.dns.ttl, plan });
      loadBalancers[gtm.service] = { domain: gtm.domain, id: lb.loadBalancerId, pools: poolsByRegion(pools, plan), fallbackPool: plan.fallbackPool };
    }
    return { loadBalancers };
  },
};

async function regionPools(gtm: GtmPolicy, args: GlobalDnsArgs): Promise<RegionPoolRef[]> {
  const pools: RegionPoolRef[] = [];
  for (const entry of gtm.regions) {
    const region = args.declarations.regions[entry.name];
    if (region?.provider !== 'aws') {
      void pulumi.log.info(`${gtm.service}: region ${entry.name} uses provider ${region?.provider ?? 'unknown'}; it has no Cloudflare pool`);
      continue;
    }
    const raw = await args.readRegion(entry.name);
    const parsed = regionServicesSchema.safeParse(raw ?? {});
    if (!parsed.success)
      throw new Error(`stack ${entry.name}: its "services" output is not what a region stack exports: ${parsed.error.issues[0]?.message ?? ''}`);
    const exported = parsed.data[gtm.service];
    if (exported?.poolId === undefined) {
      void pulumi.log.info(`${gtm.service}: region ${entry.name} has no Cloudflare pool (no node in DNS); it is not in the load balancer`);
      continue;
    }
    pools.push({ region: entry.name, poolId: exported.poolId, weight: exported.weight, fallback: entry.fallback });
  }
  return pools;
}

function poolsByRegion(pools: RegionPoolRef[], plan: LoadBalancerPlan): LoadBalancerOutput['pools'] {
  return Object.fromEntries(pools.map((p) => [p.region, { poolId: p.poolId, weight: plan.poolWeights[p.poolId] ?? 0 }]));
}
