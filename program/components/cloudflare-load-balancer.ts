// A service's Cloudflare load balancer, made by the global stack over the
// pools of every region stack, with random steering by region weight
// (global-plan.ts). DNS-only (not proxied), so clients get node addresses with
// the gtm TTL, as with Route 53.
import * as cloudflare from '@pulumi/cloudflare';
import * as pulumi from '@pulumi/pulumi';
import type { LoadBalancerPlan } from '../global-plan.js';

/** Settings of one service's load balancer. */
export interface CloudflareLoadBalancerArgs {
  service: string;
  zoneId: string;
  /** The gtm `domain`. */
  domain: string;
  ttl: number;
  plan: LoadBalancerPlan;
}

/** A Cloudflare load balancer steering between region pools by weight. */
export class CloudflareLoadBalancer extends pulumi.ComponentResource {
  /** The load balancer id. */
  public readonly loadBalancerId: pulumi.Output<string>;

  constructor(name: string, args: CloudflareLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:cloudflare:LoadBalancer', name, {}, opts);
    const lb = new cloudflare.LoadBalancer(
      `${name}-lb`,
      {
        zoneId: args.zoneId,
        name: args.domain,
        description: `xplane ${args.service}`,
        proxied: false,
        ttl: args.ttl,
        steeringPolicy: 'random',
        defaultPools: args.plan.defaultPools,
        fallbackPool: args.plan.fallbackPool,
        randomSteering: { poolWeights: args.plan.poolWeights },
      },
      { parent: this },
    );
    this.loadBalancerId = lb.id;
    this.registerOutputs({ loadBalancerId: this.loadBalancerId });
  }
}
