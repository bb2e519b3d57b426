// A service's Alibaba Cloud GTM, made by the global stack from the region
// stacks' nodes (dns/alidns-plan.ts decides): a GTM instance for the domain,
// an address pool per region (RATIO), a monitor per pool built from the gtm
// `health` block, an access strategy that weighs the pools by region weight,
// and the domain as a CNAME to the instance's access domain.
//
// Alibaba Cloud's semantics: an address its monitor finds down is left out of
// the answers, with no xplane or CI involved (contract §8); when the default
// group has no available address, the failover group (the weight-0 regions)
// answers.
// The dns module alone: the package's index would type-check all of Alibaba Cloud (2000 files).
import * as dns from '@pulumi/alicloud/dns/index.js';
import * as pulumi from '@pulumi/pulumi';
import type { HealthCheck } from '../../src/config/index.js';
import type { AlidnsMonitorNode } from '../settings.js';
import { alidnsMonitor, alidnsTtl, type AlidnsGtmPlan, type AlidnsPoolWeight } from '../dns/alidns-plan.js';

/** Settings of one service's GTM. */
export interface AlidnsGtmArgs {
  service: string;
  /** The gtm `domain`, answered through a CNAME to the GTM access domain. */
  domain: string;
  /** The gtm `dns.zone`: an AliDNS zone of the account, which gets the CNAME and the access domain. */
  zone: string;
  /** The domain relative to the zone: the CNAME's `rr`. */
  rr: string;
  ttl: number;
  health: HealthCheck;
  plan: AlidnsGtmPlan;
  /** Where the monitors probe from (xplane:alidnsMonitorNodes). */
  monitorNodes: AlidnsMonitorNode[];
}

/** Address-pool names allow letters, digits, `-` and `_`. */
export function alidnsPoolName(service: string, region: string): string {
  return `xplane-${service}-${region}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Where the address's source line would be pinned: not at all, GTM rectifies nothing for it. */
const NO_LINE = JSON.stringify({ lineCodeRectifyType: 'NO_NEED', lineCodes: [] });

/** An Alibaba Cloud GTM for one service. */
export class AlidnsGtm extends pulumi.ComponentResource {
  /** The GTM instance id. */
  public readonly instanceId: pulumi.Output<string>;
  /** Address pool id by region. */
  public readonly poolIds: Record<string, pulumi.Output<string>>;
  /** Monitor id by region. */
  public readonly monitorIds: Record<string, pulumi.Output<string>>;
  /** The domain's CNAME record. */
  public readonly recordId: pulumi.Output<string>;
  /** The access strategy id. */
  public readonly strategyId: pulumi.Output<string>;
  /** The access domain the service domain is a CNAME to. */
  public readonly accessDomain: string;

  constructor(name: string, args: AlidnsGtmArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:alidns:Gtm', name, {}, opts);
    const publicRr = `${args.service}-gtm`.replace(/[^A-Za-z0-9-]/g, '-');
    this.accessDomain = `${publicRr}.${args.zone}`;
    // A subscription: creating it buys one (standard edition, a month, renewed monthly).
    const instance = new dns.GtmInstance(
      `${name}-gtm`,
      {
        instanceName: `xplane-${args.service}`,
        paymentType: 'Subscription',
        period: 1,
        renewalStatus: 'AutoRenewal',
        renewPeriod: 1,
        packageEdition: 'standard',
        healthCheckTaskCount: 100,
        smsNotificationCount: 1000,
        strategyMode: 'GEO',
        cnameType: 'PUBLIC',
        publicCnameMode: 'CUSTOM',
        publicZoneName: args.zone,
        publicRr,
        publicUserDomainName: args.domain,
        ttl: alidnsTtl(args.ttl),
      },
      { parent: this },
    );
    const monitor = alidnsMonitor(args.health, args.domain);
    this.poolIds = {};
    this.monitorIds = {};
    for (const region of args.plan.pools) {
      const pool = new dns.AddressPool(
        `${name}-${region.region}-pool`,
        {
          instanceId: instance.id,
          addressPoolName: alidnsPoolName(args.service, region.region),
          type: 'IPV4',
          lbaStrategy: 'RATIO',
          addresses: region.addresses.map((a) => ({ address: a.ip, lbaWeight: 1, mode: 'SMART', attributeInfo: NO_LINE, remark: a.name })),
        },
        { parent: this },
      );
      const check = new dns.MonitorConfig(
        `${name}-${region.region}-monitor`,
        { addrPoolId: pool.id, ...monitor, ispCityNodes: args.monitorNodes.map((n) => ({ cityCode: n.cityCode, ispCode: n.ispCode })) },
        { parent: this },
      );
      this.poolIds[region.region] = pool.id;
      this.monitorIds[region.region] = check.id;
    }
    const pools = (weights: AlidnsPoolWeight[]) => weights.map((w) => ({ addrPoolId: this.poolIds[w.region] ?? '', lbaWeight: w.lbaWeight }));
    const failover = args.plan.failoverPools.length > 0;
    const strategy = new dns.AccessStrategy(
      `${name}-strategy`,
      {
        instanceId: instance.id,
        strategyName: `xplane-${args.service}`,
        strategyMode: 'GEO',
        lines: [{ lineCode: 'default' }],
        defaultAddrPoolType: 'IPV4',
        defaultLbaStrategy: 'RATIO',
        defaultMinAvailableAddrNum: 1,
        defaultAddrPools: pools(args.plan.defaultPools),
        accessMode: failover ? 'AUTO' : 'DEFAULT',
        ...(failover
          ? { failoverAddrPoolType: 'IPV4', failoverLbaStrategy: 'RATIO', failoverMinAvailableAddrNum: 1, failoverAddrPools: pools(args.plan.failoverPools) }
          : {}),
      },
      { parent: this },
    );
    const cname = new dns.AlidnsRecord(
      `${name}-cname`,
      { domainName: args.zone, rr: args.rr, type: 'CNAME', value: this.accessDomain, ttl: alidnsTtl(args.ttl) },
      { parent: this, dependsOn: [instance] },
    );
    this.instanceId = instance.id;
    this.strategyId = strategy.id;
    this.recordId = cname.id;
    this.registerOutputs({
      instanceId: this.instanceId,
      poolIds: this.poolIds,
      monitorIds: this.monitorIds,
      strategyId: this.strategyId,
      recordId: this.recordId,
    });
  }
}
