import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { respond, servfail, type AnswerContext } from './answer.js';
import { encodeQuery } from './client.js';
import { buildTable } from './table.js';
import { decodeMessage, encodeMessage, type DnsMessage, type ResourceRecord } from './wire.js';

const context: AnswerContext = {
  table: buildTable([{ domain: 'api.svc.plus', region: 'jp', ttl: 30, zone: 'svc.plus', records: [{ node: 'jp-1', ip: '127.1.1.1', weight: 1 }] }]),
  isDown: () => false,
  random: Math.random,
};

/** Any reply must itself decode, be a response, and carry the query's id. */
function checkReply(packet: Uint8Array, reply: Uint8Array | undefined): void {
  if (reply === undefined) return;
  const decoded = decodeMessage(reply);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  assert.equal(decoded.message.header.qr, true);
  assert.equal(decoded.message.header.id, ((packet[0] ?? 0) << 8) | (packet[1] ?? 0));
}

// Labels are octet strings; latin1 chars are exactly the octets 0..255.
const label = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 63 });
const name = fc.array(label, { maxLength: 6 }).filter((labels) => labels.reduce((n, l) => n + l.length + 1, 1) <= 255);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const record: fc.Arbitrary<ResourceRecord> = fc.oneof(
  fc.record({ labels: name, type: fc.constant(1), class: fc.constant(1), ttl: u32, data: fc.ipV4().map((address) => ({ kind: 'a' as const, address })) }),
  fc.record({
    labels: name,
    type: fc.constant(6),
    class: u16,
    ttl: u32,
    data: fc
      .record({ mname: name, rname: name, serial: u32, refresh: u32, retry: u32, expire: u32, minimum: u32 })
      .map((soa) => ({ kind: 'soa' as const, soa })),
  }),
  fc.record({
    labels: name,
    type: fc.constantFrom(16, 28, 41, 99),
    class: u16,
    ttl: u32,
    data: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ kind: 'raw' as const, bytes })),
  }),
);
const message: fc.Arbitrary<DnsMessage> = fc.record({
  header: fc.record({
    id: u16,
    qr: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
  }),
  questions: fc.array(fc.record({ labels: name, type: u16, class: u16 }), { maxLength: 3 }),
  answers: fc.array(record, { maxLength: 3 }),
  authority: fc.array(record, { maxLength: 2 }),
  additional: fc.array(record, { maxLength: 2 }),
});

describe('DNS wire format, property-based', () => {
  it('never throws on random bytes, and every reply is a well-formed response', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        decodeMessage(bytes, 'all');
        checkReply(bytes, respond(bytes, context)?.bytes);
        checkReply(bytes, servfail(bytes)?.bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on random bytes after a valid header, where names and pointers get parsed', () => {
    const headered = fc
      .tuple(u16, fc.uint8Array({ maxLength: 300 }))
      .map(([id, rest]) => Uint8Array.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, ...rest]));
    fc.assert(
      fc.property(headered, (bytes) => {
        decodeMessage(bytes, 'all');
        checkReply(bytes, respond(bytes, context)?.bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on a valid query with bytes flipped', () => {
    const query = encodeQuery('api.svc.plus');
    const mutated = fc.array(fc.tuple(fc.nat({ max: query.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const copy = Uint8Array.from(query);
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    });
    fc.assert(
      fc.property(mutated, (bytes) => checkReply(bytes, respond(bytes, context)?.bytes)),
      { numRuns: 2000 },
    );
  });

  // structuredClone: fast-check builds records without a prototype, decoding builds plain objects.
  it('decodes whatever it encodes', () => {
    fc.assert(
      fc.property(message, (msg) => assert.deepEqual(decodeMessage(encodeMessage(msg)), { ok: true, message: structuredClone(msg) })),
      { numRuns: 500 },
    );
  });
});
