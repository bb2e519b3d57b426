// One interface for every DNS provider a gtm `dns.provider` names (contract
// §2): a provider declares this region's part of a service's answers in a
// region stack and, when its answers have to see every region at once, a part
// in the global stack (`xplane:role: global`). Each provider is one file in
// this folder; factory.ts maps the name to it. Adding a provider touches its
// own file and the factory's table, nothing else.
import type * as pulumi from '@pulumi/pulumi';
import type { Declarations, DnsProviderName, GtmPolicy } from '../../src/config/index.js';
import type { DnsTraits, ServicePlan } from '../region-plan.js';
import type { StackSettings } from '../settings.js';

/** A node that gets a record (or an origin, an address): desired, not excluded, with its address. */
export interface DnsNode {
  name: string;
  ip: pulumi.Input<string>;
}

/** What a region stack exports per service besides its nodes, by provider; the global stack reads some of it back. */
export interface DnsOutputs {
  /** Route 53: record id by node. */
  records?: Record<string, pulumi.Output<string>>;
  /** Route 53: health check id by node. */
  healthChecks?: Record<string, pulumi.Output<string>>;
  /** Route 53: the weight of each record. */
  recordWeight?: number;
  /** Cloudflare: the pool of this region, when it has a node in DNS. */
  poolId?: pulumi.Output<string>;
  /** Cloudflare: the pool's monitor. */
  monitorId?: pulumi.Output<string>;
  /** local: the record file of this region. */
  recordFile?: pulumi.Output<string>;
  /** PowerDNS: the names of the records this region owns (its data record and the service's answer record). */
  powerdnsRecords?: pulumi.Output<string[]>;
}

/** Secrets and environment a provider may read its credentials from at converge time. */
export interface DnsCredentials {
  /** The converge-time environment (XPLANE_POWERDNS_API_KEY, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** A secret `xplane:` stack config value (`pulumi.Config.getSecret`), undefined when unset. */
  secret: (key: string) => pulumi.Output<string> | undefined;
  /** Reads a file named by a `…_FILE` variable. */
  readText: (path: string) => string;
}

/** One service's DNS in one region stack. */
export interface RegionDnsArgs {
  /** The region stack's name. */
  region: string;
  service: ServicePlan;
  /** The nodes in DNS that have an address, in `nodes` order. */
  nodes: DnsNode[];
  settings: StackSettings;
  credentials: DnsCredentials;
  /** Absolute directory of the local target's state (the `local` provider's record files). */
  localStateDir: string;
  /** Unix time of the commit being converged. */
  commitTime?: number;
}

/** Reads a region stack's `services` output (a StackReference, shared between services). */
export type RegionReader = (region: string) => Promise<unknown>;

/** The services of one provider in the global stack. */
export interface GlobalDnsArgs {
  /** The gtm policies whose `dns.provider` is this provider, by service name order. */
  services: GtmPolicy[];
  declarations: Pick<Declarations, 'gtm' | 'regions'>;
  settings: StackSettings;
  readRegion: RegionReader;
}

/** A DNS provider: its traits for the plan, and what it declares in region and global stacks. */
export interface DnsProvider extends DnsTraits {
  readonly name: DnsProviderName;
  /** Declares this region's part of one service's answers; returns what the service's outputs carry. */
  region(args: RegionDnsArgs): DnsOutputs;
  /**
   * Declares what must see every region (a load balancer, a GTM strategy), from the region stacks'
   * outputs; returns outputs of the global stack. Absent for providers whose region parts stand alone.
   */
  global?(args: GlobalDnsArgs): Promise<Record<string, unknown>>;
}
