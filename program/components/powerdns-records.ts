// One region's part of a service's PowerDNS answers: its region record and the
// service's answer record (dns/powerdns-lua.ts says what they hold), written
// over the PowerDNS HTTP API by a dynamic provider
// (dns/powerdns-provider.cjs → dns/powerdns-rrsets.ts; delegating-provider.ts
// says why it goes through a plain CommonJS file).
//
// Health is PowerDNS's own business: its LUA health checks (ifurlup/ifportup,
// from the gtm `health` block) leave a dead node out of the answers while
// xplane and CI are down (contract §8).
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { HealthCheck } from '../../src/config/index.js';
import { absolute } from '../dns/names.js';
import { answerRecordContent, regionRecordContent, regionRecordName, regionRecordSuffix } from '../dns/powerdns-lua.js';
import { delegatingProvider } from './delegating-provider.js';
import { XPLANE_ROOT } from './local-node.js';

/** The PowerDnsRecords provider's implementation, loaded by absolute path in Pulumi's plugin process. */
export const POWERDNS_PROVIDER = join(XPLANE_ROOT, 'program', 'dns', 'powerdns-provider.cjs');

/** A node that gets into the answers. */
export interface PowerDnsNode {
  name: string;
  ip: pulumi.Input<string>;
}

/** Settings of one region's PowerDNS records for one service. */
export interface PowerDnsRecordsArgs {
  /** The PowerDNS HTTP API (xplane:powerdnsApiUrl). */
  apiUrl: string;
  /** xplane:powerdnsServerId. */
  serverId: string;
  /** The API key; made a secret input regardless of how it comes. */
  apiKey: pulumi.Input<string>;
  /** The gtm `domain`. */
  domain: string;
  /** The gtm `dns.zone`, which must exist in PowerDNS. */
  zone: string;
  region: string;
  /** Every region of the gtm policy: the answer record includes each one's record. */
  regions: readonly string[];
  /** The gtm `dns.ttl`. */
  ttl: number;
  health: HealthCheck;
  /** The region's effective weight, split across `nodes`. */
  regionWeight: number;
  /** The nodes in DNS: desired and not excluded. */
  nodes: PowerDnsNode[];
}

/** One region's records of one service in PowerDNS. */
export class PowerDnsRecords extends pulumi.dynamic.Resource {
  /** The owner names written: the region record and the answer record. */
  declare public readonly records: pulumi.Output<string[]>;

  constructor(name: string, args: PowerDnsRecordsArgs, opts?: pulumi.CustomResourceOptions) {
    const regionContent = pulumi.all(args.nodes.map((node) => pulumi.output(node.ip))).apply((ips) =>
      regionRecordContent(
        args.regionWeight,
        ips.map((ip) => ({ ip })),
      ),
    );
    super(
      delegatingProvider,
      name,
      {
        implementation: POWERDNS_PROVIDER,
        apiUrl: args.apiUrl,
        serverId: args.serverId,
        apiKey: pulumi.secret(args.apiKey),
        zone: absolute(args.zone),
        ttl: args.ttl,
        region: { name: regionRecordName(args.domain, args.region), content: regionContent },
        answer: {
          name: absolute(args.domain),
          content: answerRecordContent({ domain: args.domain, zone: args.zone, regions: args.regions, health: args.health }),
        },
        regionSuffix: regionRecordSuffix(args.domain),
        records: undefined,
      },
      opts,
      'xplane',
      'PowerDnsRecords',
    );
  }
}
