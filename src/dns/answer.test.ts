import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerQuery, chooseRecord, respond, servfail, type AnswerContext } from './answer.js';
import { encodeQuery } from './client.js';
import type { RecordFile } from './record-file.js';
import { buildTable } from './table.js';
import { SERVER_UDP_SIZE } from './edns.js';
import { RRType, Rcode, decodeMessage, encodeMessage, type DnsMessage } from './wire.js';
import { seededRandom } from '../testing/index.js';

const jp: RecordFile = {
  domain: 'api.svc.plus',
  region: 'jp',
  ttl: 30,
  zone: 'svc.plus',
  records: [
    { node: 'jp-1', ip: '127.1.1.1', weight: 50 },
    { node: 'jp-2', ip: '127.1.1.2', weight: 50 },
  ],
};
const sg: RecordFile = { domain: 'api.svc.plus', region: 'sg', ttl: 60, records: [{ node: 'sg-1', ip: '127.2.1.1', weight: 100 }] };
const idle: RecordFile = {
  domain: 'idle.svc.plus',
  region: 'jp',
  ttl: 30,
  records: [
    { node: 'idle-1', ip: '127.3.1.1', weight: 0 },
    { node: 'idle-2', ip: '127.3.1.2', weight: 0 },
  ],
};
const empty: RecordFile = { domain: 'deep.www.svc.plus', region: 'jp', ttl: 30, records: [] };

const table = buildTable([{ ...jp, serial: 1_780_000_000 }, sg, idle, empty], { zones: ['other.example'], selfAddress: '127.0.0.53' });

function ctx(down: string[] = [], random: () => number = seededRandom(1)): AnswerContext {
  const set = new Set(down);
  return { table, isDown: (node) => set.has(node), random };
}

function ask(name: string, type: number = RRType.A, context = ctx()): DnsMessage {
  const bytes = respond(encodeQuery(name, type, 42), context)?.bytes;
  assert.ok(bytes, 'expected a response');
  const result = decodeMessage(bytes);
  assert.ok(result.ok);
  assert.equal(result.message.header.id, 42);
  assert.equal(result.message.header.qr, true);
  return result.message;
}

function answerIp(msg: DnsMessage): string | undefined {
  const data = msg.answers[0]?.data;
  return data?.kind === 'a' ? data.address : undefined;
}

function decodedQuery(name: string, type: number = RRType.A): DnsMessage {
  const result = decodeMessage(encodeQuery(name, type));
  assert.ok(result.ok);
  return result.message;
}

/** How often each node is chosen in `n` draws. */
function draws(records: Array<{ node: string; weight: number }>, down: string[], n: number, seed = 7): Map<string, number> {
  const random = seededRandom(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = chooseRecord(records, (node) => down.includes(node), random);
    assert.ok(r);
    counts.set(r.node, (counts.get(r.node) ?? 0) + 1);
  }
  return counts;
}

describe('chooseRecord', () => {
  it('draws in proportion to weight over 10,000 seeded draws', () => {
    const counts = draws(
      [
        { node: 'a', weight: 10 },
        { node: 'b', weight: 30 },
        { node: 'c', weight: 60 },
        { node: 'z', weight: 0 },
      ],
      [],
      10_000,
    );
    assert.ok(Math.abs((counts.get('a') ?? 0) - 1000) < 150, `a: ${counts.get('a')}`);
    assert.ok(Math.abs((counts.get('b') ?? 0) - 3000) < 250, `b: ${counts.get('b')}`);
    assert.ok(Math.abs((counts.get('c') ?? 0) - 6000) < 250, `c: ${counts.get('c')}`);
    assert.equal(counts.get('z'), undefined, 'weight 0 is never chosen while others can be');
  });

  it('never chooses a down node while another is up', () => {
    const counts = draws(
      [
        { node: 'a', weight: 90 },
        { node: 'b', weight: 10 },
      ],
      ['a'],
      1000,
    );
    assert.deepEqual([...counts.keys()], ['b']);
  });

  it('falls back to a weight-0 node when every weighted node is down', () => {
    const counts = draws(
      [
        { node: 'a', weight: 90 },
        { node: 'z', weight: 0 },
      ],
      ['a'],
      100,
    );
    assert.deepEqual([...counts.keys()], ['z']);
  });

  it('fails open by weight when every node is down', () => {
    const counts = draws(
      [
        { node: 'a', weight: 75 },
        { node: 'b', weight: 25 },
      ],
      ['a', 'b'],
      10_000,
    );
    assert.ok(Math.abs((counts.get('a') ?? 0) - 7500) < 250, `a: ${counts.get('a')}`);
  });

  it('chooses uniformly when every weight is 0', () => {
    const counts = draws(
      [
        { node: 'a', weight: 0 },
        { node: 'b', weight: 0 },
      ],
      [],
      10_000,
    );
    assert.ok(Math.abs((counts.get('a') ?? 0) - 5000) < 250, `a: ${counts.get('a')}`);
  });

  it('returns nothing for no records and survives a random source out of range', () => {
    assert.equal(
      chooseRecord<{ node: string; weight: number }>([], () => false, Math.random),
      undefined,
    );
    const records = [
      { node: 'a', weight: 1 },
      { node: 'b', weight: 0 },
    ];
    for (const u of [1, 2, -1, Number.NaN])
      assert.ok(
        chooseRecord(
          records,
          () => false,
          () => u,
        ),
      );
    assert.ok(
      chooseRecord(
        [{ node: 'b', weight: 0 }],
        () => false,
        () => 1,
      ),
    );
  });
});

describe('answering a query', () => {
  it('answers one A record with its file TTL, authoritatively', () => {
    const msg = ask(
      'api.svc.plus',
      RRType.A,
      ctx([], () => 0),
    );
    assert.equal(msg.header.rcode, Rcode.NOERROR);
    assert.equal(msg.header.aa, true);
    assert.equal(msg.answers.length, 1);
    assert.equal(answerIp(msg), '127.1.1.1');
    assert.equal(msg.answers[0]?.ttl, 30);
    // sg holds half the total weight and its file says ttl 60.
    const late = ask(
      'api.svc.plus',
      RRType.A,
      ctx([], () => 0.99),
    );
    assert.equal(answerIp(late), '127.2.1.1');
    assert.equal(late.answers[0]?.ttl, 60);
  });

  it('matches names case-insensitively, with or without the trailing dot, and echoes the question as asked', () => {
    for (const name of ['API.Svc.Plus', 'api.svc.plus.']) {
      const msg = ask(name);
      assert.equal(msg.header.rcode, Rcode.NOERROR);
      assert.equal(msg.answers.length, 1);
      assert.deepEqual(msg.questions[0]?.labels, msg.answers[0]?.labels);
    }
    assert.deepEqual(ask('API.Svc.Plus').questions[0]?.labels, ['API', 'Svc', 'Plus']);
  });

  it('leaves out down nodes, across regions', () => {
    for (let i = 0; i < 200; i++) assert.equal(answerIp(ask('api.svc.plus', RRType.A, ctx(['jp-1', 'sg-1'], Math.random))), '127.1.1.2');
  });

  it('fails open when every node of the name is down', () => {
    const seen = new Set<string | undefined>();
    const context = ctx(['jp-1', 'jp-2', 'sg-1'], seededRandom(3));
    for (let i = 0; i < 200; i++) seen.add(answerIp(ask('api.svc.plus', RRType.A, context)));
    assert.deepEqual([...seen].sort(), ['127.1.1.1', '127.1.1.2', '127.2.1.1']);
  });

  it('serves weight-0 records uniformly when a name has nothing else', () => {
    const seen = new Set<string | undefined>();
    const context = ctx([], seededRandom(5));
    for (let i = 0; i < 100; i++) seen.add(answerIp(ask('idle.svc.plus', RRType.A, context)));
    assert.deepEqual([...seen].sort(), ['127.3.1.1', '127.3.1.2']);
  });

  const negatives: Array<[string, string, number, number, boolean]> = [
    ['an unknown name in a served zone', 'nope.svc.plus', RRType.A, Rcode.NXDOMAIN, true],
    ['an unknown name in a configured zone without files', 'x.other.example', RRType.A, Rcode.NXDOMAIN, true],
    ['a name below a served name', 'x.api.svc.plus', RRType.A, Rcode.NXDOMAIN, true],
    ['a non-A query for a served name (NODATA)', 'api.svc.plus', RRType.AAAA, Rcode.NOERROR, true],
    ['a name whose files hold no record (NODATA)', 'deep.www.svc.plus', RRType.A, Rcode.NOERROR, true],
    ['a name that only has names below it (NODATA)', 'www.svc.plus', RRType.A, Rcode.NOERROR, true],
    ['the zone apex (NODATA)', 'svc.plus', RRType.A, Rcode.NOERROR, true],
    ['a name outside every zone', 'example.com', RRType.A, Rcode.REFUSED, false],
    ['a name that only ends like a zone', 'xsvc.plus', RRType.A, Rcode.REFUSED, false],
    ['the root', '.', RRType.NS, Rcode.REFUSED, false],
  ];
  for (const [what, name, type, rcode, aa] of negatives) {
    it(`answers ${what} with no records`, () => {
      const msg = ask(name, type);
      assert.equal(msg.header.rcode, rcode);
      assert.equal(msg.header.aa, aa);
      assert.equal(msg.answers.length, 0);
      // Authoritative negatives carry the zone SOA so resolvers can cache them (RFC 2308).
      assert.equal(msg.authority.length, aa ? 1 : 0);
      if (aa) assert.equal(msg.authority[0]?.type, RRType.SOA);
    });
  }

  it('names the closest enclosing zone in the SOA of a negative answer', () => {
    assert.deepEqual(ask('x.api.svc.plus').authority[0]?.labels, ['svc', 'plus']);
    // idle.svc.plus has no zone in its file, but jp's file puts svc.plus in the table.
    assert.deepEqual(ask('x.idle.svc.plus').authority[0]?.labels, ['svc', 'plus']);
    const alone = buildTable([{ domain: 'solo.test', region: 'jp', ttl: 5, records: [] }]);
    const msg = answerQuery(decodedQuery('x.solo.test'), { table: alone, isDown: () => false, random: Math.random });
    assert.equal(msg.header.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(msg.authority[0]?.labels, ['solo', 'test']);
    assert.equal(msg.authority[0].ttl, 5);
  });

  it('answers SOA at the apex from the zone and the table', () => {
    const msg = ask('svc.plus', RRType.SOA);
    const data = msg.answers[0]?.data;
    assert.equal(data?.kind, 'soa');
    // The newest commit time any file carries; files without one do not lower it.
    assert.equal(data.soa.serial, 1_780_000_000);
    assert.equal(data.soa.minimum, 30);
    assert.deepEqual(data.soa.mname, ['ns1', 'svc', 'plus']);
  });

  it('refuses other classes and does not implement other opcodes', () => {
    const query = decodeMessage(encodeQuery('api.svc.plus'));
    assert.ok(query.ok);
    const chaos = answerQuery({ ...query.message, questions: [{ labels: ['api', 'svc', 'plus'], type: 16, class: 3 }] }, ctx());
    assert.equal(chaos.header.rcode, Rcode.REFUSED);
    const notify = answerQuery({ ...query.message, header: { ...query.message.header, opcode: 4 } }, ctx());
    assert.equal(notify.header.rcode, Rcode.NOTIMP);
    const two = answerQuery({ ...query.message, questions: [...query.message.questions, ...query.message.questions] }, ctx());
    assert.equal(two.header.rcode, Rcode.FORMERR);
    assert.equal(two.questions.length, 0);
  });

  it('answers FORMERR to a malformed query, and nothing to a response or a headerless packet', () => {
    const broken = Uint8Array.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12]);
    const bytes = respond(broken, ctx())?.bytes;
    assert.ok(bytes);
    const msg = decodeMessage(bytes);
    assert.ok(msg.ok);
    assert.equal(msg.message.header.id, 9);
    assert.equal(msg.message.header.rcode, Rcode.FORMERR);
    assert.equal(respond(Uint8Array.from([1, 2, 3]), ctx()), undefined);
    const asResponse = encodeQuery('api.svc.plus');
    asResponse[2] = (asResponse[2] ?? 0) | 0x80;
    assert.equal(respond(asResponse, ctx()), undefined);
  });

  it('truncates a response larger than the limit so the client retries over TCP', () => {
    const bytes = respond(encodeQuery('api.svc.plus'), ctx(), 40)?.bytes;
    assert.ok(bytes);
    const msg = decodeMessage(bytes);
    assert.ok(msg.ok);
    assert.equal(msg.message.header.tc, true);
    assert.equal(msg.message.answers.length, 0);
  });

  it('builds SERVFAIL from whatever header a packet has', () => {
    const bytes = servfail(encodeQuery('api.svc.plus', RRType.A, 5))?.bytes;
    assert.ok(bytes);
    const msg = decodeMessage(bytes);
    assert.ok(msg.ok);
    assert.equal(msg.message.header.rcode, Rcode.SERVFAIL);
    assert.equal(msg.message.questions.length, 1);
    assert.equal(servfail(Uint8Array.from([1])), undefined);
  });

  it('answers NS at the apex with glue for a name server inside the zone, and that name server A', () => {
    const msg = ask('svc.plus', RRType.NS);
    assert.deepEqual(
      msg.answers.map((rr) => (rr.data.kind === 'ns' ? rr.data.host.join('.') : rr.data.kind)),
      ['ns1.svc.plus'],
    );
    assert.deepEqual(
      msg.additional.map((rr) => (rr.data.kind === 'a' ? rr.data.address : rr.data.kind)),
      ['127.0.0.53'],
    );
    assert.equal(answerIp(ask('NS1.svc.plus')), '127.0.0.53');
    const nodata = ask('ns1.svc.plus', RRType.AAAA);
    assert.equal(nodata.header.rcode, Rcode.NOERROR);
    assert.equal(nodata.answers.length, 0);
  });

  it('takes configured name servers; one outside every zone gets no glue', () => {
    const named = buildTable([jp], {
      nameServers: [
        { name: 'a.ns.svc.plus', ip: '192.0.2.1' },
        { name: 'ns.example.net', ip: '192.0.2.2' },
      ],
    });
    const msg = answerQuery(decodedQuery('svc.plus', RRType.NS), { table: named, isDown: () => false, random: Math.random });
    assert.equal(msg.answers.length, 2);
    assert.deepEqual(
      msg.additional.map((rr) => rr.labels.join('.')),
      ['a.ns.svc.plus'],
    );
    const soa = answerQuery(decodedQuery('svc.plus', RRType.SOA), { table: named, isDown: () => false, random: Math.random }).answers[0]?.data;
    assert.equal(soa?.kind === 'soa' ? soa.soa.mname.join('.') : '', 'a.ns.svc.plus');
  });

  it('refuses zone transfers', () => {
    for (const type of [RRType.AXFR, RRType.IXFR]) {
      const msg = ask('svc.plus', type);
      assert.equal(msg.header.rcode, Rcode.REFUSED);
      assert.equal(msg.answers.length, 0);
    }
  });
});

describe('EDNS(0) and malformed queries', () => {
  /** A query with `opts` OPT records (owner `owner`, version `version`, payload `size`) and `extra` bytes at the end. */
  function ednsQuery(options: { opts?: number; owner?: string[]; version?: number; size?: number; dnssecOk?: boolean; extra?: number[] } = {}): Uint8Array {
    const opt = {
      labels: options.owner ?? [],
      type: RRType.OPT,
      class: options.size ?? 4096,
      ttl: (((options.version ?? 0) << 16) | (options.dnssecOk ? 0x8000 : 0)) >>> 0,
      data: { kind: 'raw' as const, bytes: new Uint8Array(0) },
    };
    const query = encodeMessage({
      header: { id: 7, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0 },
      questions: [{ labels: ['api', 'svc', 'plus'], type: RRType.A, class: 1 }],
      answers: [],
      authority: [],
      additional: Array.from({ length: options.opts ?? 1 }, () => opt),
    });
    return Uint8Array.from([...query, ...(options.extra ?? [])]);
  }

  function reply(bytes: Uint8Array, limit: 'udp' | number = 'udp'): { message: DnsMessage; rcode: number } {
    const r = respond(bytes, ctx(), limit);
    assert.ok(r);
    const decoded = decodeMessage(r.bytes);
    assert.ok(decoded.ok, 'the reply decodes');
    return { message: decoded.message, rcode: r.rcode };
  }

  it('puts an OPT with the server payload size in the reply to a query that has one, DO copied', () => {
    const { message } = reply(ednsQuery({ dnssecOk: true }));
    assert.equal(message.header.rcode, Rcode.NOERROR);
    assert.equal(message.answers.length, 1);
    const opt = message.additional.find((rr) => rr.type === RRType.OPT);
    assert.ok(opt);
    assert.equal(opt.class, SERVER_UDP_SIZE);
    assert.equal(opt.ttl, 0x8000);
    assert.equal(reply(encodeQuery('api.svc.plus')).message.additional.length, 0, 'no OPT without one in the query');
  });

  it('answers BADVERS (extended rcode 1 in the OPT) to an unknown EDNS version', () => {
    const { message, rcode } = reply(ednsQuery({ version: 1 }));
    assert.equal(rcode, Rcode.BADVERS);
    assert.equal(message.header.rcode, 0);
    assert.equal(message.answers.length, 0);
    assert.equal((message.additional[0]?.ttl ?? 0) >>> 24, 1);
  });

  it('answers FORMERR to two OPTs, an OPT with an owner, counts that do not match and trailing bytes', () => {
    const noRecord = encodeQuery('api.svc.plus');
    noRecord[7] = 1; // ANCOUNT = 1 with no record after the question
    for (const bytes of [ednsQuery({ opts: 2 }), ednsQuery({ owner: ['api'] }), noRecord, ednsQuery({ opts: 0, extra: [0, 0, 0] })]) {
      const { message, rcode } = reply(bytes);
      assert.equal(rcode, Rcode.FORMERR);
      assert.equal(message.header.id === 7 || message.header.id === 1, true);
      assert.equal(message.answers.length, 0);
    }
  });

  it('truncates to the smaller of the client size and its own, keeping the OPT', () => {
    const { message } = reply(ednsQuery({ size: 100 }));
    assert.equal(message.header.tc, false, 'sizes under 512 count as 512');
    const cut = reply(ednsQuery(), 40).message;
    assert.equal(cut.header.tc, true);
    assert.equal(cut.additional[0]?.type, RRType.OPT);
  });
});
