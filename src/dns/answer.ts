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
import { readEdns, replyOpt, udpLimit } from './edns.js';
import { findZone, type DnsTable } from './table.js';

/** What answering needs besides the query. */
export interface AnswerContext {
  table: DnsTable;
  /** True when the registry marks the node `down`; asked at query time so a failure takes effect at once. */
  isDown: (node: string) => boolean;
  /** Uniform in [0, 1); Math.random in production, seeded in tests. */
  random: () => number;
}

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

/** Answers a decoded query: the records, without EDNS (the caller adds the OPT). */
export function answerQuery(query: DnsMessage, ctx: AnswerContext): DnsMessage {
  const h = query.header;
  const reply = (
    rcode: number,
    aa: boolean,
    questions: DnsQuestion[],
    sections: Partial<Pick<DnsMessage, 'answers' | 'authority' | 'additional'>> = {},
  ): DnsMessage => ({
    header: { id: h.id, qr: true, opcode: h.opcode, aa, tc: false, rd: h.rd, ra: false, rcode },
    questions,
    answers: sections.answers ?? [],
    authority: sections.authority ?? [],
    additional: sections.additional ?? [],
  });
  const [q] = query.questions;
  if (h.opcode !== 0) return reply(Rcode.NOTIMP, false, query.questions.length === 1 && q ? [q] : []);
  if (query.questions.length !== 1 || q === undefined) return reply(Rcode.FORMERR, false, []);
  if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return reply(Rcode.REFUSED, false, [q]);
  // Zone transfers are refused: the answers are computed per query (weights, health), there is no zone to copy.
  if (q.type === RRType.AXFR || q.type === RRType.IXFR) return reply(Rcode.REFUSED, false, [q]);

  const name = lowerAscii(joinLabels(q.labels));
  const zone = findZone(ctx.table, name);
  if (zone === undefined) return reply(Rcode.REFUSED, false, [q]);

  const soa = soaRecord(zone, ctx.table);
  const wants = (type: number): boolean => q.type === type || q.type === RRType.ANY;
  const answers: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const apex = name === zone;
  if (apex && wants(RRType.SOA)) answers.push(soa);
  if (apex && wants(RRType.NS)) {
    for (const host of ctx.table.nameServers.get(zone) ?? []) {
      answers.push(nsRecord(q.labels, host, soa.ttl));
      const glue = ctx.table.hosts.get(host);
      if (glue !== undefined) additional.push(aRecord(host.split('.'), glue, soa.ttl));
    }
  }
  const records = ctx.table.names.get(name);
  const host = ctx.table.hosts.get(name);
  if (wants(RRType.A)) {
    const chosen = records === undefined ? undefined : chooseRecord(records, ctx.isDown, ctx.random);
    if (chosen !== undefined) answers.push(aRecord(q.labels, chosen.ip, chosen.ttl));
    else if (records === undefined && host !== undefined) answers.push(aRecord(q.labels, host, soa.ttl));
  }
  if (answers.length > 0) return reply(Rcode.NOERROR, true, [q], { answers, additional });
  // The name exists (NODATA) when it has records of another type, is an apex or a name server, or lies above a served name (RFC 8020).
  const exists = records !== undefined || apex || host !== undefined || ctx.table.interior.has(name);
  return reply(exists ? Rcode.NOERROR : Rcode.NXDOMAIN, true, [q], { authority: [soa] });
}

/** A reply's bytes and its rcode (extended rcodes included), for metrics. */
export interface Reply {
  bytes: Uint8Array;
  rcode: number;
}

/**
 * Turns request bytes into a reply, or undefined to send nothing: for bytes
 * without a whole header, and for responses (answering those would let two
 * servers bounce packets forever). A malformed query (counts that do not
 * match its bytes, trailing bytes, a bad OPT) gets FORMERR; a query with an
 * OPT gets one back (RFC 6891). `limit` is `udp` (512 octets, or what EDNS
 * allows) or a fixed size (TCP's 65535); a longer reply is sent truncated
 * (TC) so the client retries over TCP.
 */
export function respond(packet: Uint8Array, ctx: AnswerContext, limit: 'udp' | number = 'udp'): Reply | undefined {
  const decoded = decodeMessage(packet, 'all');
  if (!decoded.ok) return formerr(packet);
  const query = decoded.message;
  if (query.header.qr) return undefined;
  const ednsRead = readEdns(query);
  if (ednsRead.kind === 'malformed') return formerr(packet);
  const edns = ednsRead.kind === 'ok' ? ednsRead.edns : undefined;
  let answer: DnsMessage;
  if (edns !== undefined && edns.version > 0) {
    // An unknown version gets BADVERS and an OPT of the version spoken here, and nothing else (§6.1.3).
    answer = {
      header: errorHeader(query.header, Rcode.BADVERS),
      questions: query.questions.length === 1 ? query.questions : [],
      answers: [],
      authority: [],
      additional: [],
    };
  } else {
    answer = answerQuery(query, ctx);
  }
  const rcode = answer.header.rcode;
  const withOpt = (message: DnsMessage): DnsMessage =>
    edns === undefined
      ? message
      : { ...message, header: { ...message.header, rcode: rcode & 0xf }, additional: [...message.additional, replyOpt(rcode, edns)] };
  const maxSize = limit === 'udp' ? udpLimit(edns) : limit;
  const bytes = encodeMessage(withOpt(answer));
  if (bytes.length <= maxSize) return { bytes, rcode };
  return { bytes: encodeMessage(withOpt({ ...answer, header: { ...answer.header, tc: true }, answers: [], authority: [], additional: [] })), rcode };
}

/** A SERVFAIL for `packet`, for when answering failed unexpectedly; undefined when the packet has no usable header. */
export function servfail(packet: Uint8Array): Reply | undefined {
  return errorReply(packet, Rcode.SERVFAIL);
}

function formerr(packet: Uint8Array): Reply | undefined {
  return errorReply(packet, Rcode.FORMERR);
}

// An error reply keeps the question when it can be read, so the client can match it; a FORMERR carries no OPT (the OPT may be what was wrong).
function errorReply(packet: Uint8Array, rcode: number): Reply | undefined {
  const decoded = decodeMessage(packet, 'questions');
  const header = decoded.ok ? decoded.message.header : decoded.header;
  if (header === undefined || header.qr) return undefined;
  const questions = decoded.ok && decoded.message.questions.length === 1 ? decoded.message.questions : [];
  return { bytes: encodeMessage({ header: errorHeader(header, rcode), questions, answers: [], authority: [], additional: [] }), rcode };
}

function errorHeader(h: DnsHeader, rcode: number): DnsHeader {
  return { id: h.id, qr: true, opcode: h.opcode, aa: false, tc: false, rd: h.rd, ra: false, rcode };
}

function aRecord(labels: string[], address: string, ttl: number): ResourceRecord {
  return { labels, type: RRType.A, class: CLASS_IN, ttl, data: { kind: 'a', address } };
}

function nsRecord(labels: string[], host: string, ttl: number): ResourceRecord {
  return { labels, type: RRType.NS, class: CLASS_IN, ttl, data: { kind: 'ns', host: host.split('.') } };
}

// Negative answers carry the zone's SOA so resolvers cache them for the
// SOA minimum (RFC 2308) instead of not at all or for their own default.
// MNAME is the zone's first name server; RNAME hostmaster@ the zone.
function soaRecord(zone: string, table: DnsTable): ResourceRecord {
  const labels = zone.split('.');
  const mname = table.nameServers.get(zone)?.[0]?.split('.') ?? labels;
  const rname = zone.length <= 242 ? ['hostmaster', ...labels] : labels;
  return {
    labels,
    type: RRType.SOA,
    class: CLASS_IN,
    ttl: table.negativeTtl,
    data: { kind: 'soa', soa: { mname, rname, serial: table.serial, refresh: 3600, retry: 600, expire: 86_400, minimum: table.negativeTtl } },
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
