// The global stack (`xplane:role: global`): one Cloudflare load balancer per
// service whose gtm `dns.provider` is cloudflare. A load balancer must see
// every region's pool, and each region stack only knows its own, so this
// stack reads them through StackReferences named
// `<xplane:stackOrganization>/<project>/<region>` (`organization/xplane/jp`
// with the file backend) and steers between them by region weight.
// Route 53 needs no such stack: each region's weighted records stand alone.
//
// Converge the region stacks first: a region stack that does not exist yet
// fails the global stack with a message naming it. Regions on the `local`
// provider have no Cloudflare pool and are skipped with a log line.
import { errorText } from '../src/errors.js';
import * as pulumi from '@pulumi/pulumi';
import type { Declarations, GtmPolicy } from '../src/config/index.js';
import { CloudflareLoadBalancer } from './components/cloudflare-load-balancer.js';
import { planLoadBalancer, regionServicesSchema, type LoadBalancerPlan, type RegionPoolRef } from './global-plan.js';
import type { StackSettings } from './settings.js';

/** What the global stack is built from. */
export interface GlobalStackArgs {
  declarations: Pick<Declarations, 'gtm' | 'regions'>;
  settings: StackSettings;
  /** The Pulumi project name, for the region stacks' names. */
  project: string;
}

/** One load balancer in the outputs. */
export interface LoadBalancerOutput {
  domain: string;
  id: pulumi.Output<string>;
  /** Region name → its pool and steering weight. */
  pools: Record<string, { poolId: string; weight: number }>;
  fallbackPool: string;
}

/** The outputs of the global stack. */
export interface GlobalStackOutputs {
  loadBalancers: Record<string, LoadBalancerOutput>;
}

/** Declares the Cloudflare load balancers from the region stacks' outputs. */
export async function globalStack(args: GlobalStackArgs): Promise<GlobalStackOutputs> {
  const services = Object.values(args.declarations.gtm)
    .filter((gtm) => gtm.dns.provider === 'cloudflare')
    .sort((a, b) => (a.service < b.service ? -1 : 1));
  if (services.length === 0) {
    void pulumi.log.info('no service uses Cloudflare DNS: the global stack has nothing to build');
    return { loadBalancers: {} };
  }
  const zoneId = args.settings.cloudflareZoneId;
  if (zoneId === undefined)
    throw new Error(`${services.map((s) => s.service).join(', ')} use Cloudflare DNS: set xplane:cloudflareZoneId in the global stack's config`);

  const readRegion = regionReader(args);
  const loadBalancers: Record<string, LoadBalancerOutput> = {};
  for (const gtm of services) {
    const pools = await regionPools(gtm, args, readRegion);
    const plan = planLoadBalancer(pools);
    if (!plan) {
      void pulumi.log.warn(`${gtm.service}: no region has a Cloudflare pool (no node in DNS anywhere); no load balancer, ${gtm.domain} is left as it is`);
      continue;
    }
    const lb = new CloudflareLoadBalancer(gtm.service, { service: gtm.service, zoneId, domain: gtm.domain, ttl: gtm.dns.ttl, plan });
    loadBalancers[gtm.service] = { domain: gtm.domain, id: lb.loadBalancerId, pools: poolsByRegion(pools, plan), fallbackPool: plan.fallbackPool };
  }
  return { loadBalancers };
}

type RegionReader = (region: string) => Promise<unknown>;

// One StackReference per region, shared by every service that reads it.
function regionReader(args: GlobalStackArgs): RegionReader {
  const cache = new Map<string, Promise<unknown>>();
  return (region) => {
    let services = cache.get(region);
    if (!services) {
      const name = `${args.settings.stackOrganization}/${args.project}/${region}`;
      const ref = new pulumi.StackReference(name);
      services = ref.getOutputDetails('services').then(
        (details): unknown => details.value ?? details.secretValue,
        (err: unknown) => {
          throw new Error(`cannot read stack ${name} (converge the region stacks before the global one): ${errorText(err)}`);
        },
      );
      cache.set(region, services);
    }
    return services;
  };
}

async function regionPools(gtm: GtmPolicy, args: GlobalStackArgs, readRegion: RegionReader): Promise<RegionPoolRef[]> {
  const pools: RegionPoolRef[] = [];
  for (const entry of gtm.regions) {
    const region = args.declarations.regions[entry.name];
    if (region?.provider !== 'aws') {
      void pulumi.log.info(`${gtm.service}: region ${entry.name} uses provider ${region?.provider ?? 'unknown'}; it has no Cloudflare pool`);
      continue;
    }
    const raw = await readRegion(entry.name);
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
