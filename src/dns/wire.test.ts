import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeQuery } from './client.js';
import { CLASS_IN, RRType, Rcode, decodeMessage, encodeMessage, ipv4Bytes, joinLabels, splitName, type DnsMessage } from './wire.js';

function decoded(bytes: Uint8Array, depth: 'questions' | 'all' = 'all'): DnsMessage {
  const result = decodeMessage(bytes, depth);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.message;
}

/** A query header for id 0x1234 with one question, followed by `rest`. */
function packet(...rest: number[]): Uint8Array {
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...rest]);
}

describe('DNS wire format', () => {
  it('round-trips a query', () => {
    const msg = decoded(encodeQuery('Api.SVC.plus.', RRType.A, 0xbeef));
    assert.equal(msg.header.id, 0xbeef);
    assert.equal(msg.header.qr, false);
    assert.equal(msg.header.rd, true);
    assert.deepEqual(msg.questions, [{ labels: ['Api', 'SVC', 'plus'], type: RRType.A, class: CLASS_IN }]);
  });

  it('round-trips a response with A, SOA and opaque records, compressing repeated names', () => {
    const message: DnsMessage = {
      header: { id: 7, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, rcode: Rcode.NXDOMAIN },
      questions: [{ labels: ['api', 'svc', 'plus'], type: RRType.A, class: CLASS_IN }],
      answers: [{ labels: ['api', 'svc', 'plus'], type: RRType.A, class: CLASS_IN, ttl: 30, data: { kind: 'a', address: '127.1.1.1' } }],
      authority: [
        {
          labels: ['svc', 'plus'],
          type: RRType.SOA,
          class: CLASS_IN,
          ttl: 30,
          data: {
            kind: 'soa',
            soa: { mname: ['ns', 'svc', 'plus'], rname: ['hostmaster', 'svc', 'plus'], serial: 4, refresh: 3600, retry: 600, expire: 86400, minimum: 30 },
          },
        },
      ],
      additional: [{ labels: [], type: RRType.OPT, class: 1232, ttl: 0, data: { kind: 'raw', bytes: Uint8Array.from([0, 10, 0, 0]) } }],
    };
    const bytes = encodeMessage(message);
    assert.deepEqual(decoded(bytes), message);
    // The answer's owner is a 2-octet pointer to the question's name at offset 12.
    const answerAt = 12 + 'api.svc.plus'.length + 2 + 4;
    assert.deepEqual([...bytes.subarray(answerAt, answerAt + 2)], [0xc0, 12]);
  });

  it('keeps label octets that are not ASCII and labels holding a dot', () => {
    const labels = ['\u00ff\u0000x', 'a.b', 'plus'];
    const bytes = encodeMessage({
      header: decoded(encodeQuery('x')).header,
      questions: [{ labels, type: 1, class: 1 }],
      answers: [],
      authority: [],
      additional: [],
    });
    assert.deepEqual(decoded(bytes).questions[0]?.labels, labels);
    assert.equal(joinLabels(labels), '\u00ff\u0000x.a\\.b.plus');
  });

  it('follows a compression pointer in a question', () => {
    // Two questions; the second is "www" + pointer to "svc.plus" inside the first.
    const bytes = Uint8Array.from([
      0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x70, 0x69, 3, 0x73, 0x76, 0x63, 4, 0x70, 0x6c, 0x75, 0x73, 0, 0, 1, 0, 1, 3, 0x77, 0x77, 0x77, 0xc0, 16, 0,
      1, 0, 1,
    ]);
    const msg = decoded(bytes);
    assert.deepEqual(
      msg.questions.map((q) => q.labels.join('.')),
      ['api.svc.plus', 'www.svc.plus'],
    );
  });

  it('decodes the questions of a query carrying an EDNS OPT record', () => {
    const query = encodeQuery('api.svc.plus');
    const withOpt = Uint8Array.from([...query, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    withOpt[11] = 1;
    assert.equal(decoded(withOpt, 'questions').questions.length, 1);
    assert.equal(decoded(withOpt, 'all').additional[0]?.type, RRType.OPT);
  });

  const malformed: Array<[string, Uint8Array, string]> = [
    ['a pointer to itself', packet(0xc0, 12, 0, 1, 0, 1), 'backwards'],
    ['a forward pointer', packet(0xc0, 14, 0, 1, 0, 1, 0), 'backwards'],
    ['a loop of two pointers', packet(1, 0x61, 0xc0, 12, 0, 1, 0, 1), 'backwards'],
    ['a reserved label type', packet(0x40, 0, 1, 0, 1), 'label type'],
    ['a label running past the end', packet(5, 0x61, 0x62), 'past the end'],
    ['a name with no terminator', packet(1, 0x61), 'past the end'],
    ['a missing type and class', packet(0), 'truncated'],
    ['a name over 255 octets', packet(...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1), '255'],
  ];
  for (const [what, bytes, error] of malformed) {
    it(`refuses ${what} but still returns the header`, () => {
      const result = decodeMessage(bytes);
      assert.equal(result.ok, false);
      assert.match(result.error, new RegExp(error));
      assert.equal(result.header?.id, 0x1234);
    });
  }

  it('returns no header for fewer than 12 octets', () => {
    const result = decodeMessage(Uint8Array.from([1, 2, 3]));
    assert.deepEqual(result, { ok: false, error: 'shorter than a header', header: undefined });
  });

  it('splits names with and without the trailing dot, and the root', () => {
    assert.deepEqual(splitName('api.svc.plus.'), ['api', 'svc', 'plus']);
    assert.deepEqual(splitName('api.svc.plus'), ['api', 'svc', 'plus']);
    assert.deepEqual(splitName('.'), []);
  });

  it('encodes only dotted-quad IPv4 addresses', () => {
    assert.deepEqual([...ipv4Bytes('127.1.1.1')], [127, 1, 1, 1]);
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '::1', '']) assert.throws(() => ipv4Bytes(bad), RangeError);
  });
});
