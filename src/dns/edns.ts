// EDNS(0), RFC 6891: a query may carry one OPT pseudo-record in its
// additional section. Its class is the requestor's UDP payload size and its
// TTL packs the extended rcode, the version and the flags (DO). A server
// that understands EDNS puts an OPT in every reply to a query that had one,
// answers BADVERS to a version it does not speak, and FORMERR to a query with
// more than one OPT or an OPT whose owner is not the root (§6.1.1).
import { RRType, type DnsMessage, type ResourceRecord } from './wire.js';

/** The EDNS fields of a query. */
export interface Edns {
  /** The requestor's UDP payload size; values under 512 count as 512 (§6.2.3). */
  udpSize: number;
  version: number;
  /** DNSSEC OK (RFC 3225); copied into the reply. */
  dnssecOk: boolean;
}

/** What a query's additional section says about EDNS. */
export type EdnsRead = { kind: 'none' } | { kind: 'ok'; edns: Edns } | { kind: 'malformed'; error: string };

/**
 * The payload size this server advertises and uses at most over UDP: 1232
 * octets fit in one IPv6 packet on any link without fragmentation, the
 * figure resolvers settled on at DNS Flag Day 2020.
 */
export const SERVER_UDP_SIZE = 1232;

/** The smallest payload a requestor can ask for (RFC 6891 §6.2.5). */
const MIN_UDP_SIZE = 512;
const DO_BIT = 0x8000;

/** Reads the OPT record of a query, if any. OPT in the answer or authority section is malformed too (§6.1.1). */
export function readEdns(message: DnsMessage): EdnsRead {
  if ([...message.answers, ...message.authority].some((rr) => rr.type === RRType.OPT)) {
    return { kind: 'malformed', error: 'OPT record outside the additional section' };
  }
  const opts = message.additional.filter((rr) => rr.type === RRType.OPT);
  const [opt] = opts;
  if (opt === undefined) return { kind: 'none' };
  if (opts.length > 1) return { kind: 'malformed', error: 'more than one OPT record' };
  if (opt.labels.length > 0) return { kind: 'malformed', error: 'OPT record owner is not the root' };
  return {
    kind: 'ok',
    edns: { udpSize: Math.max(opt.class, MIN_UDP_SIZE), version: (opt.ttl >>> 16) & 0xff, dnssecOk: (opt.ttl & DO_BIT) !== 0 },
  };
}

/** The OPT record of a reply: this server's payload size, version 0, the upper 8 bits of `rcode`, DO copied from the query. */
export function replyOpt(rcode: number, query: Edns): ResourceRecord {
  const extendedRcode = (rcode >> 4) & 0xff;
  const ttl = ((extendedRcode << 24) | (query.dnssecOk ? DO_BIT : 0)) >>> 0;
  return { labels: [], type: RRType.OPT, class: SERVER_UDP_SIZE, ttl, data: { kind: 'raw', bytes: new Uint8Array(0) } };
}

/** The most octets a UDP reply may have: the smaller of the requestor's and this server's size, 512 without EDNS. */
export function udpLimit(edns: Edns | undefined): number {
  return edns === undefined ? MIN_UDP_SIZE : Math.min(edns.udpSize, SERVER_UDP_SIZE);
}
