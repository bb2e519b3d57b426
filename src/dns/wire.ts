// The DNS wire format (RFC 1035 §4), only as much as an authoritative server
// for A records needs: a header, questions, and A / NS / SOA / opaque records
// (EDNS's OPT is an opaque record whose class and TTL carry its fields, edns.ts).
// Decoding never trusts the packet: every read is bounds-checked, compression
// pointers must point strictly before everything already walked (so a name
// cannot loop), and names are capped at 255 octets. Failures come back as a
// value, not an exception, because a DNS server sees hostile bytes all day.

/** Record types this server knows by name. */
export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
/** The Internet class; the only one served. */
export const CLASS_IN = 1;
/** QCLASS `*` (RFC 1035 §3.2.5). */
export const CLASS_ANY = 255;
/** Response codes used here (RFC 1035 §4.1.1). */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/** The name of an rcode, for logs and metrics (`NOERROR`, `BADVERS`, ...; `RCODE<n>` for others). */
export function rcodeName(rcode: number): string {
  const entry = Object.entries(Rcode).find(([, value]) => value === rcode);
  return entry?.[0] ?? `RCODE${rcode}`;
}

/** The fixed 12-octet header; section counts are derived when encoding. */
export interface DnsHeader {
  id: number;
  /** true in a response. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated. */
  tc: boolean;
  /** Recursion desired (copied from the query). */
  rd: boolean;
  /** Recursion available (never, here). */
  ra: boolean;
  rcode: number;
}

/** One question; `labels` keep the case the client sent (resolvers may check it, 0x20 encoding). */
export interface DnsQuestion {
  labels: string[];
  type: number;
  class: number;
}

/** The start of authority record data (RFC 1035 §3.3.13). */
export interface SoaData {
  mname: string[];
  rname: string[];
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** Record data: A, NS and SOA are understood, everything else is carried as bytes. */
export type RecordData = { kind: 'a'; address: string } | { kind: 'ns'; host: string[] } | { kind: 'soa'; soa: SoaData } | { kind: 'raw'; bytes: Uint8Array };

/** One resource record. */
export interface ResourceRecord {
  labels: string[];
  type: number;
  class: number;
  ttl: number;
  data: RecordData;
}

/** A whole message. */
export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** What decoding gives: a message, or why not and the header when at least that could be read. */
export type DecodeResult = { ok: true; message: DnsMessage } | { ok: false; error: string; header: DnsHeader | undefined };

/**
 * How much of a message to decode. `all` reads every section and refuses
 * bytes after the last record, as a server must (a query whose counts do not
 * match its bytes is malformed); `questions` stops after the question, for
 * making the best error reply out of a message `all` refused.
 */
export type DecodeDepth = 'questions' | 'all';

const HEADER_SIZE = 12;
const MAX_NAME_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;

class WireError extends Error {}

/** Splits a dotted name into labels; a trailing dot and the root ("." or "") give no label. */
export function splitName(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  return trimmed === '' ? [] : trimmed.split('.');
}

/** Joins labels for logs and keys; a dot inside a label is escaped so it cannot pose as two labels. */
export function joinLabels(labels: readonly string[]): string {
  return labels.map((l) => l.replaceAll('\\', '\\\\').replaceAll('.', '\\.')).join('.');
}

/** Decodes a message; never throws on any input. */
export function decodeMessage(bytes: Uint8Array, depth: DecodeDepth = 'all'): DecodeResult {
  if (bytes.length < HEADER_SIZE) return { ok: false, error: 'shorter than a header', header: undefined };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(view);
  const counts = [view.getUint16(4), view.getUint16(6), view.getUint16(8), view.getUint16(10)] as const;
  try {
    const reader = new Reader(bytes, view, HEADER_SIZE);
    const questions: DnsQuestion[] = [];
    for (let i = 0; i < counts[0]; i++) questions.push(reader.question());
    const sections: ResourceRecord[][] = [[], [], []];
    if (depth === 'all') {
      for (let s = 0; s < 3; s++) {
        const count = counts[s + 1] ?? 0;
        for (let i = 0; i < count; i++) sections[s]?.push(reader.record());
      }
    }
    const [answers = [], authority = [], additional = []] = sections;
    if (depth === 'all' && !reader.atEnd()) throw new WireError('bytes after the last record');
    return { ok: true, message: { header, questions, answers, authority, additional } };
  } catch (err) {
    if (err instanceof WireError) return { ok: false, error: err.message, header };
    throw err;
  }
}

/** Encodes a message, compressing repeated name suffixes (case-sensitively, so names keep their case). */
export function encodeMessage(message: DnsMessage): Uint8Array {
  const w = new Writer();
  const h = message.header;
  w.u16(h.id & 0xffff);
  w.u16((h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x400 : 0) | (h.tc ? 0x200 : 0) | (h.rd ? 0x100 : 0) | (h.ra ? 0x80 : 0) | (h.rcode & 0xf));
  w.u16(message.questions.length);
  w.u16(message.answers.length);
  w.u16(message.authority.length);
  w.u16(message.additional.length);
  for (const q of message.questions) {
    w.name(q.labels);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...message.answers, ...message.authority, ...message.additional]) w.record(rr);
  return w.finish();
}

function readHeader(view: DataView): DnsHeader {
  const flags = view.getUint16(2);
  return {
    id: view.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0,
    rd: (flags & 0x100) !== 0,
    ra: (flags & 0x80) !== 0,
    rcode: flags & 0xf,
  };
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    private pos: number,
  ) {}

  question(): DnsQuestion {
    const labels = this.name();
    return { labels, type: this.u16(), class: this.u16() };
  }

  record(): ResourceRecord {
    const labels = this.name();
    const type = this.u16();
    const klass = this.u16();
    const ttl = this.u32();
    const length = this.u16();
    const end = this.pos + length;
    if (end > this.bytes.length) throw new WireError('record data runs past the end');
    let data: RecordData;
    if (type === RRType.A && klass === CLASS_IN && length === 4) {
      data = { kind: 'a', address: Array.from(this.bytes.subarray(this.pos, end)).join('.') };
    } else if (type === RRType.NS) {
      const host = this.name();
      if (this.pos !== end) throw new WireError('NS data does not fill its length');
      data = { kind: 'ns', host };
    } else if (type === RRType.SOA) {
      const mname = this.name();
      const rname = this.name();
      const soa = { mname, rname, serial: this.u32(), refresh: this.u32(), retry: this.u32(), expire: this.u32(), minimum: this.u32() };
      if (this.pos !== end) throw new WireError('SOA data does not fill its length');
      data = { kind: 'soa', soa };
    } else {
      // A copy, and a plain Uint8Array even when the packet is a Buffer.
      data = { kind: 'raw', bytes: new Uint8Array(this.bytes.subarray(this.pos, end)) };
    }
    this.pos = end;
    return { labels, type, class: klass, ttl, data };
  }

  /** True when every octet has been read. */
  atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  /** Reads a possibly compressed name and leaves the position after its first encoding. */
  name(): string[] {
    const labels: string[] = [];
    let pos = this.pos;
    let resume = -1;
    // A pointer must go below every octet of this name read so far: each jump
    // lands strictly lower, so the walk ends without a separate jump counter.
    let lowest = pos;
    let octets = 1;
    for (;;) {
      if (pos >= this.bytes.length) throw new WireError('name runs past the end');
      const len = this.bytes[pos] ?? 0;
      if (len === 0) {
        if (resume < 0) resume = pos + 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= this.bytes.length) throw new WireError('pointer runs past the end');
        const target = ((len & 0x3f) << 8) | (this.bytes[pos + 1] ?? 0);
        if (target >= lowest) throw new WireError('compression pointer does not point backwards');
        if (resume < 0) resume = pos + 2;
        pos = target;
        lowest = target;
        continue;
      }
      if (kind !== 0) throw new WireError('unsupported label type');
      if (len > MAX_LABEL_OCTETS) throw new WireError('label longer than 63 octets');
      if (pos + 1 + len > this.bytes.length) throw new WireError('label runs past the end');
      octets += len + 1;
      if (octets > MAX_NAME_OCTETS) throw new WireError('name longer than 255 octets');
      labels.push(latin1(this.bytes.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.pos = resume;
    return labels;
  }

  u16(): number {
    if (this.pos + 2 > this.bytes.length) throw new WireError('truncated');
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    if (this.pos + 4 > this.bytes.length) throw new WireError('truncated');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
}

/** A name written, for compression: its labels and where each suffix starts. */
interface WrittenName {
  labels: readonly string[];
  /** offsets[i]: where labels[i..] starts, or -1 past the 14-bit pointer range. */
  offsets: number[];
}

// Encoding is synchronous and never re-entered, so one scratch buffer serves
// every message and only the finished bytes are copied out: allocating a
// fresh typed array per message cost more than the whole encoding.
let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

class Writer {
  private buf = scratch;
  private view = scratchView;
  private length = 0;
  /** Names written so far; a message has a handful, so a scan beats hashing keys. */
  private readonly written: WrittenName[] = [];

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
    scratch = next;
    scratchView = this.view;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v & 0xffff);
    this.length += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  name(labels: readonly string[]): void {
    const offsets: number[] = [];
    let octets = 1;
    for (let i = 0; i < labels.length; i++) {
      const at = this.pointerTo(labels, i);
      if (at >= 0) {
        this.u16(0xc000 | at);
        this.written.push({ labels, offsets });
        return;
      }
      const label = labels[i] ?? '';
      if (label.length === 0 || label.length > MAX_LABEL_OCTETS) throw new RangeError(`label must be 1..63 octets: "${label}"`);
      octets += label.length + 1;
      if (octets > MAX_NAME_OCTETS) throw new RangeError(`name longer than 255 octets: ${joinLabels(labels)}`);
      // Pointers carry 14 bits, so only suffixes that start early enough can be targets.
      offsets.push(this.length <= 0x3fff ? this.length : -1);
      this.u8(label.length);
      this.latin1(label);
    }
    this.u8(0);
    this.written.push({ labels, offsets });
  }

  /** Where labels[from..] was written before (compared case-sensitively, so names keep their case), or -1. */
  private pointerTo(labels: readonly string[], from: number): number {
    const wanted = labels.length - from;
    for (const name of this.written) {
      // Only the suffixes of `name` written out in full (before its own pointer) can be targets.
      const start = name.labels.length - wanted;
      if (start < 0 || start >= name.offsets.length) continue;
      const at = name.offsets[start] ?? -1;
      if (at < 0) continue;
      let same = true;
      for (let k = 0; k < wanted && same; k++) same = name.labels[start + k] === labels[from + k];
      if (same) return at;
    }
    return -1;
  }

  /** A label's octets: one per char (latin1, see below); a char above 0xff is not an octet. */
  private latin1(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) throw new RangeError(`label has a character that is not an octet: "${text}"`);
      this.buf[this.length++] = code;
    }
  }

  record(rr: ResourceRecord): void {
    this.name(rr.labels);
    this.u16(rr.type);
    this.u16(rr.class);
    this.u32(rr.ttl);
    const lengthAt = this.length;
    this.u16(0);
    const start = this.length;
    const d = rr.data;
    if (d.kind === 'a') this.bytes(ipv4Bytes(d.address));
    else if (d.kind === 'ns') this.name(d.host);
    else if (d.kind === 'soa') {
      this.name(d.soa.mname);
      this.name(d.soa.rname);
      for (const v of [d.soa.serial, d.soa.refresh, d.soa.retry, d.soa.expire, d.soa.minimum]) this.u32(v);
    } else this.bytes(d.bytes);
    this.view.setUint16(lengthAt, this.length - start);
  }

  /** The message, copied out of the scratch buffer (into Node's pooled Buffer memory: cheap for small messages). */
  finish(): Uint8Array {
    const pooled = Buffer.allocUnsafe(this.length);
    pooled.set(this.buf.subarray(0, this.length));
    return new Uint8Array(pooled.buffer, pooled.byteOffset, this.length);
  }
}

/** The 4 octets of a dotted-quad IPv4 address (no leading zeros); throws on anything else. */
export function ipv4Bytes(address: string): Uint8Array {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= address.length; i++) {
    const code = i < address.length ? address.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) throw new RangeError(`not an IPv4 address: "${address}"`);
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39 && !(digits === 1 && value === 0) && digits < 3) {
      value = value * 10 + (code - 0x30);
      digits++;
    } else {
      throw new RangeError(`not an IPv4 address: "${address}"`);
    }
  }
  if (part !== 4) throw new RangeError(`not an IPv4 address: "${address}"`);
  return out;
}

// Labels are octets, not text (RFC 2181 §11): latin1 maps each octet to one
// char and back, so any label survives a round trip unchanged.
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}
