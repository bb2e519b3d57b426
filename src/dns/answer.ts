// How a query is answered, as pure functions over the table: Route 53's
// weighted routing with health checks. One record per answer, chosen by
// weight among the nodes not down; when every node of a name is down, all of
// them are candidates again (fail open), because a name that answers nothing
// is an outage for certain, while a node marked down may only be unreachable
// from the control plane.
import {
  CLASS_ANY,
  CLASS_IN,
  Rcode,
  RRType,
  decodeMessage,
  encodeMessage,
  joinLabels,
  type DnsHeader,
  type DnsMessage,
  type DnsQuestion,
  type ResourceRecord,
} from './wire.js';
import { findZone, type DnsTable, type NameRecord } from './table.js';

/** What answering needs besides the query. */
export interface AnswerContext {
  table: DnsTable;
  /** True when the registry marks the node `down`; asked at query time so a failure takes effect at once. */
  isDown: (node: string) => boolean;
  /** Uniform in [0, 1); Math.random in production, seeded in tests. */
  random: () => number;
}

/** Largest UDP response without EDNS (RFC 1035 §4.2.1). */
export const UDP_MAX_SIZE = 512;

/**
 * Picks one record: drops down nodes (all come back when none is left),
 * then draws by weight among those with weight > 0, or uniformly when every
 * weight is 0 — Route 53 serves weight-0 records only when nothing else can be.
 */
export function chooseRecord<T extends { node: string; weight: number }>(
  records: readonly T[],
  isDown: (node: string) => boolean,
  random: () => number,
): T | undefined {
  if (records.length === 0) return undefined;
  const up = records.filter((r) => !isDown(r.node));
  const candidates = up.length > 0 ? up : records;
  const weighted = candidates.filter((r) => r.weight > 0);
  const u = unit(random());
  if (weighted.length === 0) return candidates[Math.floor(u * candidates.length)];
  const total = weighted.reduce((sum, r) => sum + r.weight, 0);
  let x = u * total;
  for (const r of weighted) {
    x -= r.weight;
    if (x < 0) return r;
  }
  // Floating-point sums can leave x a hair above 0 after the last record.
  return weighted[weighted.length - 1];
}

/** Answers a decoded query. */
export function answerQuery(query: DnsMessage, ctx: AnswerContext): DnsMessage {
  const h = query.header;
  const reply = (rcode: number, aa: boolean, questions: DnsQuestion[], answers: ResourceRecord[] = [], authority: ResourceRecord[] = []): DnsMessage => ({
    header: { id: h.id, qr: true, opcode: h.opcode, aa, tc: false, rd: h.rd, ra: false, rcode },
    questions,
    answers,
    authority,
    additional: [],
  });
  const [q] = query.questions;
  if (h.opcode !== 0) return reply(Rcode.NOTIMP, false, query.questions.length === 1 && q ? [q] : []);
  if (query.questions.length !== 1 || q === undefined) return reply(Rcode.FORMERR, false, []);
  if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return reply(Rcode.REFUSED, false, [q]);

  const name = lowerAscii(joinLabels(q.labels));
  const zone = findZone(ctx.table, name);
  if (zone === undefined) return reply(Rcode.REFUSED, false, [q]);

  const soa = soaRecord(zone, ctx.table);
  const records = ctx.table.names.get(name);
  if (records !== undefined) {
    if (q.type === RRType.A || q.type === RRType.ANY) {
      const chosen = chooseRecord(records, ctx.isDown, ctx.random);
      if (chosen !== undefined) return reply(Rcode.NOERROR, true, [q], [aRecord(q.labels, chosen)]);
    }
    if (name === zone && q.type === RRType.SOA) return reply(Rcode.NOERROR, true, [q], [soa]);
    return reply(Rcode.NOERROR, true, [q], [], [soa]);
  }
  if (name === zone) {
    if (q.type === RRType.SOA || q.type === RRType.ANY) return reply(Rcode.NOERROR, true, [q], [soa]);
    return reply(Rcode.NOERROR, true, [q], [], [soa]);
  }
  if (ctx.table.interior.has(name)) return reply(Rcode.NOERROR, true, [q], [], [soa]);
  return reply(Rcode.NXDOMAIN, true, [q], [], [soa]);
}

/**
 * Turns request bytes into response bytes, or undefined to send nothing:
 * for bytes without a whole header, and for responses (answering those
 * would let two servers bounce packets forever). A response larger than
 * `maxSize` is sent truncated (TC) so the client retries over TCP.
 */
export function respond(packet: Uint8Array, ctx: AnswerContext, maxSize = UDP_MAX_SIZE): Uint8Array | undefined {
  const decoded = decodeMessage(packet, 'questions');
  if (!decoded.ok) {
    if (decoded.header === undefined || decoded.header.qr) return undefined;
    return encodeMessage({ header: errorHeader(decoded.header, Rcode.FORMERR), questions: [], answers: [], authority: [], additional: [] });
  }
  if (decoded.message.header.qr) return undefined;
  const answer = answerQuery(decoded.message, ctx);
  const bytes = encodeMessage(answer);
  if (bytes.length <= maxSize) return bytes;
  return encodeMessage({ ...answer, header: { ...answer.header, tc: true }, answers: [], authority: [], additional: [] });
}

/** A SERVFAIL for `packet`, for when answering failed unexpectedly; undefined when the packet has no usable header. */
export function servfail(packet: Uint8Array): Uint8Array | undefined {
  const decoded = decodeMessage(packet, 'questions');
  const header = decoded.ok ? decoded.message.header : decoded.header;
  if (header === undefined || header.qr) return undefined;
  const questions = decoded.ok && decoded.message.questions.length === 1 ? decoded.message.questions : [];
  return encodeMessage({ header: errorHeader(header, Rcode.SERVFAIL), questions, answers: [], authority: [], additional: [] });
}

function errorHeader(h: DnsHeader, rcode: number): DnsHeader {
  return { id: h.id, qr: true, opcode: h.opcode, aa: false, tc: false, rd: h.rd, ra: false, rcode };
}

function aRecord(labels: string[], record: NameRecord): ResourceRecord {
  return { labels, type: RRType.A, class: CLASS_IN, ttl: record.ttl, data: { kind: 'a', address: record.ip } };
}

// Negative answers carry the zone's SOA so resolvers cache them for the
// SOA minimum (RFC 2308) instead of not at all or for their own default.
function soaRecord(zone: string, table: DnsTable): ResourceRecord {
  const labels = zone.split('.');
  // A zone near the 255-octet limit has no room for a prefix; its own name still makes a valid SOA.
  const under = (label: string): string[] => (zone.length + label.length <= 252 ? [label, ...labels] : labels);
  return {
    labels,
    type: RRType.SOA,
    class: CLASS_IN,
    ttl: table.negativeTtl,
    data: {
      kind: 'soa',
      soa: { mname: under('ns'), rname: under('hostmaster'), serial: table.serial, refresh: 3600, retry: 600, expire: 86_400, minimum: table.negativeTtl },
    },
  };
}

// DNS compares names case-insensitively in ASCII only (RFC 4343); other octets are left alone.
function lowerAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// A random source outside [0, 1) (or NaN) must not make the choice fail.
function unit(u: number): number {
  if (!(u >= 0)) return 0;
  return u < 1 ? u : 1 - Number.EPSILON;
}
