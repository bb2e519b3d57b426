// One region's Cloudflare load-balancer pool for a service: the nodes in DNS
// as origins, checked by a monitor built from the gtm `health` block. The
// load balancer that steers between regions' pools is in the global stack
// (cloudflare-load-balancer.ts), since it has to see every region.
//
// Cloudflare's semantics: an origin that fails the monitor gets no traffic
// within about one monitor interval (60 s at least, health-checks.ts), with no
// xplane or CI involved; a pool whose every origin is down is unhealthy and
// the load balancer steers to the others, then to its fallback pool. A region
// with no node in DNS gets no pool at all (Cloudflare rejects an empty one).
import * as cloudflare from '@pulumi/cloudflare';
import * as pulumi from '@pulumi/pulumi';
import type { HealthCheck } from '../../src/config/index.js';
import { cloudflareMonitor } from '../health-checks.js';

/** A node that becomes an origin. */
export interface OriginNode {
  name: string;
  ip: pulumi.Input<string>;
}

/** Settings of one region's pool for one service. */
export interface CloudflarePoolArgs {
  service: string;
  region: string;
  accountId: string;
  domain: string;
  health: HealthCheck;
  /** The nodes in DNS (at least one): desired and not excluded. */
  origins: OriginNode[];
}

/** Cloudflare pool names allow letters, digits, `-` and `_`. */
export function cloudflarePoolName(service: string, region: string): string {
  return `xplane-${service}-${region}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** A Cloudflare monitor and load-balancer pool of one region for one service. */
export class CloudflarePool extends pulumi.ComponentResource {
  /** The pool id the global stack's load balancer refers to. */
  public readonly poolId: pulumi.Output<string>;
  /** The monitor id. */
  public readonly monitorId: pulumi.Output<string>;

  constructor(name: string, args: CloudflarePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:cloudflare:RegionPool', name, {}, opts);
    if (args.origins.length === 0) throw new Error(`${args.service} ${args.region}: a Cloudflare pool needs at least one origin`);
    const settings = cloudflareMonitor(args.health);

    const monitor = new cloudflare.LoadBalancerMonitor(
      `${name}-monitor`,
      {
        accountId: args.accountId,
        description: `xplane ${args.service} ${args.region}`,
        type: settings.type,
        port: settings.port,
        method: settings.method,
        ...(settings.path === undefined ? {} : { path: settings.path }),
        ...(settings.expectedCodes === undefined ? {} : { expectedCodes: settings.expectedCodes }),
        interval: settings.interval,
        timeout: settings.timeout,
        retries: settings.retries,
        // HTTP probes carry the service's name, as a client's would.
        ...(settings.type === 'http' ? { header: { Host: [args.domain] } } : {}),
      },
      { parent: this },
    );
    const pool = new cloudflare.LoadBalancerPool(
      `${name}-pool`,
      {
        accountId: args.accountId,
        name: cloudflarePoolName(args.service, args.region),
        description: `xplane ${args.service} nodes in ${args.region}`,
        monitor: monitor.id,
        minimumOrigins: 1,
        origins: args.origins.map((node) => ({ name: node.name, address: node.ip, enabled: true, weight: 1 })),
      },
      { parent: this },
    );
    this.poolId = pool.id;
    this.monitorId = monitor.id;
    this.registerOutputs({ poolId: this.poolId, monitorId: this.monitorId });
  }
}
