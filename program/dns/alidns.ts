// AliDNS: weighted, health-checked answers need Alibaba Cloud GTM (a plain
// AlidnsRecord has no weight). Its access strategy has to see every region's
// pool, and its pools need the instance, so the whole GTM is the global
// stack's (components/alidns-gtm.ts), built from what the region stacks
// export: their nodes' addresses, `excluded` and weight (alidns-plan.ts).
// Region stacks build nothing for it.
import * as pulumi from '@pulumi/pulumi';
import type { GtmPolicy } from '../../src/config/index.js';
import { AlidnsGtm } from '../components/alidns-gtm.js';
import { planAlidnsGtm, regionAddresses, regionNodesSchema, type AlidnsRegionRef } from './alidns-plan.js';
import { relativeName } from './names.js';
import type { DnsProvider, GlobalDnsArgs } from './types.js';

/** One GTM in the global stack's outputs. */
export interface AlidnsOutput {
  domain: string;
  instanceId: pulumi.Output<string>;
  accessDomain: string;
  strategyId: pulumi.Output<string>;
  /** The domain's CNAME to the access domain. */
  recordId: pulumi.Output<string>;
  /** Region → its pool, its monitor and its weight in the access strategy (failover pools: `failover: true`). */
  pools: Record<string, { poolId: pulumi.Output<string>; monitorId: pulumi.Output<string>; lbaWeight: number; failover: boolean }>;
}

/** The `alidns` provider. */
export const alidns: DnsProvider = {
  name: 'alidns',
  servesLoopback: false,
  buildsEmpty: false,
  perRegion: 'address pool',
  region: () => ({}),
  async global(args) {
    const monitorNodes = args.settings.alidnsMonitorNodes;
    if (monitorNodes === undefined) {
      throw new Error(
        `${args.services.map((s) => s.service).join(', ')} use AliDNS: set xplane:alidnsMonitorNodes (a list of {cityCode, ispCode}: where GTM probes from; DescribeDnsGtmMonitorAvailableConfig lists them) in the global stack's config`,
      );
    }
    const gtms: Record<string, AlidnsOutput> = {};
    for (const gtm of args.services) {
      const plan = planAlidnsGtm(await regionRefs(gtm, args));
      if (!plan) {
        void pulumi.log.warn(`${gtm.service}: no region has a node in DNS; no AliDNS GTM, ${gtm.domain} is left as it is`);
        continue;
      }
      const rr = relativeName(gtm.domain, gtm.dns.zone);
      if (rr === '')
        throw new Error(`${gtm.service}: AliDNS GTM answers ${gtm.domain} through a CNAME, which cannot sit at the zone apex (gtm domain = dns.zone)`);
      const built = new AlidnsGtm(gtm.service, {
        service: gtm.service,
        domain: gtm.domain,
        zone: gtm.dns.zone,
        rr,
        ttl: gtm.dns.ttl,
        health: gtm.health,
        plan,
        monitorNodes,
      });
      const pools: AlidnsOutput['pools'] = {};
      for (const [group, failover] of [
        [plan.defaultPools, false],
        [plan.failoverPools, true],
      ] as const) {
        for (const p of group) {
          const poolId = built.poolIds[p.region];
          const monitorId = built.monitorIds[p.region];
          if (poolId && monitorId) pools[p.region] = { poolId, monitorId, lbaWeight: p.lbaWeight, failover };
        }
      }
      gtms[gtm.service] = {
        domain: gtm.domain,
        instanceId: built.instanceId,
        accessDomain: built.accessDomain,
        strategyId: built.strategyId,
        recordId: built.recordId,
        pools,
      };
    }
    return { alidns: gtms };
  },
};

async function regionRefs(gtm: GtmPolicy, args: GlobalDnsArgs): Promise<AlidnsRegionRef[]> {
  const refs: AlidnsRegionRef[] = [];
  for (const entry of gtm.regions) {
    const region = args.declarations.regions[entry.name];
    if (region?.provider !== 'aws') {
      void pulumi.log.info(`${gtm.service}: region ${entry.name} uses provider ${region?.provider ?? 'unknown'}; it has no AliDNS address pool`);
      continue;
    }
    const parsed = regionNodesSchema.safeParse((await args.readRegion(entry.name)) ?? {});
    if (!parsed.success)
      throw new Error(`stack ${entry.name}: its "services" output is not what a region stack exports: ${parsed.error.issues[0]?.message ?? ''}`);
    const exported = parsed.data[gtm.service];
    if (exported === undefined) {
      void pulumi.log.info(`${gtm.service}: stack ${entry.name} has no pool of it; it is not in the GTM`);
      continue;
    }
    refs.push({ region: entry.name, weight: exported.weight, addresses: regionAddresses(exported) });
  }
  return refs;
}
