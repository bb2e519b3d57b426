// The `local` DNS provider: one region's records of one service as a file the
// embedded DNS server (src/dns/) answers from, `<stateDir>/dns/<domain>/<region>.json`,
// written atomically by program/local/dns-provider.cjs (see
// delegating-provider.ts for why it is a separate plain-JS module).
//
// The records mirror Route 53's (route53-records.ts): one per node in DNS,
// each with the region weight split the same way (dns-weights.ts). A region
// with no node in DNS still has its file, with no records, so excluding the
// last node rewrites the file rather than deleting it. Health is the DNS
// server's business: it leaves out nodes the registry marks down and fails
// open when every node is down (contract §8).
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { RecordEntry } from '../../src/dns/index.js';
import { route53RecordWeight } from '../dns-weights.js';
import { delegatingProvider } from './delegating-provider.js';
import { XPLANE_ROOT } from './local-node.js';

/** The LocalDnsRecords provider's implementation, loaded by absolute path in Pulumi's plugin process. */
export const DNS_PROVIDER = join(XPLANE_ROOT, 'program', 'local', 'dns-provider.cjs');

/** A node that gets a record. */
export interface LocalRecordNode {
  name: string;
  ip: pulumi.Input<string>;
}

/** Settings of one region's record file for one service. */
export interface LocalDnsRecordsArgs {
  /** The gtm `domain`. */
  domain: string;
  /** The gtm `dns.zone`: the DNS server answers NXDOMAIN for names under it it does not serve. */
  zone?: string;
  region: string;
  /** The gtm `dns.ttl`. */
  ttl: number;
  /** The region's effective weight, split across `nodes`. */
  regionWeight: number;
  /** The nodes in DNS: desired and not excluded. */
  nodes: LocalRecordNode[];
  /** The record file goes to `<stateDir>/dns/`. */
  stateDir: string;
  /**
   * The SOA serial: Unix time of the commit converged. Written with the
   * records but not compared: a commit that leaves the records as they were
   * does not rewrite the file, so the serial stays that of the commit that
   * last changed them.
   */
  serial?: number;
}

/** The record file of one region for one service. */
export class LocalDnsRecords extends pulumi.dynamic.Resource {
  /** The file's path. */
  declare public readonly path: pulumi.Output<string>;
  /** The records as written. */
  declare public readonly records: pulumi.Output<RecordEntry[]>;

  constructor(name: string, args: LocalDnsRecordsArgs, opts?: pulumi.CustomResourceOptions) {
    const weight = route53RecordWeight(args.regionWeight, args.nodes.length);
    super(
      delegatingProvider,
      name,
      {
        implementation: DNS_PROVIDER,
        stateDir: args.stateDir,
        domain: args.domain,
        ...(args.zone === undefined ? {} : { zone: args.zone }),
        region: args.region,
        ttl: args.ttl,
        ...(args.serial === undefined ? {} : { serial: args.serial }),
        records: args.nodes.map((node) => ({ node: node.name, ip: node.ip, weight })),
        path: undefined,
      },
      opts,
      'xplane',
      'LocalDnsRecords',
    );
  }
}
