// What one region stack builds, decided as plain data before any resource is
// declared: per service, where its nodes run (EC2 VMs, or agent processes on
// this machine for a `local` region), which DNS provider, and which nodes get
// a DNS record. Combinations that cannot work (a loopback address in public
// DNS) become notes the stack logs, never errors. What a DNS provider can take
// comes from its traits (dns/types.ts), so no provider's rules are coded here.
import type { Declarations, DnsProviderName, DnsSettings, HealthCheck, Pool, RegionDef } from '../src/config/index.js';

/** Where a service's nodes are made in this region: EC2 instances, or agent processes on the converging machine. */
export type MachineTarget = 'aws' | 'local';

/** Where a service's DNS answers are made for this region: its gtm provider, or `none` when that provider cannot take its nodes. */
export type DnsTarget = DnsProviderName | 'none';

/** What the plan needs to know of a DNS provider. */
export interface DnsTraits {
  /** It can answer with loopback addresses: the DNS server runs beside the nodes (local, a private PowerDNS). */
  servesLoopback: boolean;
  /** Its region part is built with no node in DNS: an empty region is an answer too (a record file, a PowerDNS record). */
  buildsEmpty: boolean;
  /** What is not built when no node is in DNS, for the note: `records`, `pool`. */
  perRegion: string;
}

/** One service of a region stack. */
export interface ServicePlan {
  service: string;
  domain: string;
  health: HealthCheck;
  dns: DnsSettings;
  /** The region's effective weight from the stack config. */
  weight: number;
  /** Every desired node: each gets a VM (or a local process), excluded or not. */
  nodes: string[];
  excluded: string[];
  /** The nodes in DNS: in `nodes` and not in `excluded`, in `nodes` order. */
  dnsNodes: string[];
  /** The regions of the gtm policy, in its order: every region's part of the answers. */
  gtmRegions: string[];
  machines: MachineTarget;
  dnsTarget: DnsTarget;
}

/** A region stack, decided. */
export interface RegionPlan {
  region: RegionDef;
  services: ServicePlan[];
  /** Why something is not built, one line each, for `pulumi.log.info`. */
  notes: string[];
}

/** The nodes that get a DNS record or origin: desired and not excluded. */
export function dnsNodes(pool: Pool): string[] {
  const excluded = new Set(pool.excluded);
  return pool.nodes.filter((node) => !excluded.has(node));
}

/** Plans the stack of `regionName` from validated declarations; throws when a pool names a service without a gtm policy. */
export function planRegion(
  declarations: Pick<Declarations, 'gtm' | 'regions'>,
  regionName: string,
  pools: Readonly<Record<string, Pool>>,
  traits: (provider: DnsProviderName) => DnsTraits,
): RegionPlan {
  const region = declarations.regions[regionName];
  if (!region) throw new Error(`region "${regionName}" has no platform-config/regions/${regionName}.yaml`);
  const notes: string[] = [];
  const services: ServicePlan[] = [];

  for (const service of Object.keys(pools).sort()) {
    const pool = pools[service];
    const gtm = declarations.gtm[service];
    if (!pool) continue;
    if (!gtm) throw new Error(`xplane:pools.${service}: no platform-config/gtm/${service}.yaml, so there is no domain or health check for it`);
    if (!gtm.regions.some((r) => r.name === regionName)) {
      notes.push(`${service}: region ${regionName} is not in gtm/${service}.yaml; its nodes are built as the stack says`);
    }

    const machines: MachineTarget = region.provider;
    const included = dnsNodes(pool);
    const provider = gtm.dns.provider;
    const { servesLoopback, buildsEmpty, perRegion } = traits(provider);
    let dnsTarget: DnsTarget = provider;
    if (machines === 'local' && !servesLoopback) {
      // A loopback address means nothing in public DNS.
      dnsTarget = 'none';
      notes.push(
        `${service}: no ${provider} DNS for region ${regionName}: its nodes are local processes with loopback addresses (use dns.provider: local, or powerdns with a PowerDNS that sees them)`,
      );
    } else if (included.length === 0 && !buildsEmpty) {
      // Route 53: no records, so the region is simply not in the answers. Cloudflare: a pool must have an origin, so none is made.
      notes.push(
        `${service}: no node in DNS for region ${regionName} (${pool.nodes.length === 0 ? 'no nodes' : 'every node is excluded'}); no ${provider} ${perRegion}`,
      );
    }

    services.push({
      service,
      domain: gtm.domain,
      health: gtm.health,
      dns: gtm.dns,
      weight: pool.weight,
      nodes: [...pool.nodes],
      excluded: [...pool.excluded],
      dnsNodes: included,
      gtmRegions: gtm.regions.map((r) => r.name),
      machines,
      dnsTarget,
    });
  }
  return { region, services, notes };
}

/** Whether any service of the plan makes nodes of `target`, which need the agent settings. */
export function needsAgent(plan: RegionPlan, target: MachineTarget = 'aws'): boolean {
  return plan.services.some((s) => s.machines === target && s.nodes.length > 0);
}
