// One region's share of a service's Route 53 weighted A records: one record
// per node in DNS, `setIdentifier` = node name, each with its own Route 53
// health check built from the gtm `health` block.
//
// Route 53's semantics, which xplane relies on rather than re-implements:
// - An unhealthy record is skipped; the node leaves the answers within
//   requestInterval × failureThreshold, with no xplane or CI involved.
// - Weight 0 (the GTM controller took the region out): the records stay and
//   are answered only when every non-zero record of the name is unhealthy —
//   the fail-open last resort.
// - Every record unhealthy: Route 53 treats them all as healthy and answers
//   by weight, which is the fail-open xplane wants (contract §8).
// - A region with no node in DNS has no records here at all, so it is not in
//   the answers (region-plan.ts decides that).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { DnsSettings, HealthCheck } from '../../src/config/index.js';
import { route53RecordWeight } from '../dns-weights.js';
import { route53HealthCheck } from '../health-checks.js';

/** A node that gets a record. */
export interface RecordNode {
  name: string;
  ip: pulumi.Input<string>;
}

/** Settings of one region's records for one service. */
export interface Route53RecordsArgs {
  service: string;
  region: string;
  /** The gtm `domain`: the record name. */
  domain: string;
  /** The gtm `dns` block: the hosted zone is looked up by `zone`, records get `ttl`. */
  dns: DnsSettings;
  health: HealthCheck;
  /** The region's effective weight, split across `nodes` (dns-weights.ts). */
  regionWeight: number;
  /** The nodes in DNS: desired and not excluded. */
  nodes: RecordNode[];
}

/** Weighted, health-checked Route 53 records of one region for one service. */
export class Route53Records extends pulumi.ComponentResource {
  /** Record id by node name. */
  public readonly recordIds: Record<string, pulumi.Output<string>>;
  /** Health check id by node name. */
  public readonly healthCheckIds: Record<string, pulumi.Output<string>>;
  /** The Route 53 weight each record got. */
  public readonly recordWeight: number;

  constructor(name: string, args: Route53RecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:route53:WeightedRecords', name, {}, opts);
    const zone = aws.route53.getZoneOutput({ name: args.dns.zone, privateZone: false }, { parent: this });
    const check = route53HealthCheck(args.health);
    this.recordWeight = route53RecordWeight(args.regionWeight, args.nodes.length);
    this.recordIds = {};
    this.healthCheckIds = {};

    for (const node of args.nodes) {
      const healthCheck = new aws.route53.HealthCheck(
        `${node.name}-health`,
        {
          type: check.type,
          ipAddress: node.ip,
          port: check.port,
          ...(check.resourcePath === undefined ? {} : { resourcePath: check.resourcePath }),
          requestInterval: check.requestInterval,
          failureThreshold: check.failureThreshold,
          tags: { Name: `${node.name} ${args.domain}`, 'xplane:service': args.service, 'xplane:region': args.region, 'xplane:node': node.name },
        },
        { parent: this },
      );
      const record = new aws.route53.Record(
        `${node.name}-a`,
        {
          zoneId: zone.zoneId,
          name: args.domain,
          type: 'A',
          ttl: args.dns.ttl,
          records: [node.ip],
          setIdentifier: node.name,
          weightedRoutingPolicies: [{ weight: this.recordWeight }],
          healthCheckId: healthCheck.id,
        },
        { parent: this },
      );
      this.recordIds[node.name] = record.id;
      this.healthCheckIds[node.name] = healthCheck.id;
    }
    this.registerOutputs({ recordIds: this.recordIds, healthCheckIds: this.healthCheckIds, recordWeight: this.recordWeight });
  }
}
