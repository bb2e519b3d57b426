import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../log/index.js';
import { encodeQuery, exchangeTcp, exchangeUdp, queryDns } from './client.js';
import { writeRecordFile, type RecordFile } from './record-file.js';
import { RecordStore } from './record-store.js';
import { DnsServer, parseListenAddress } from './server.js';
import { RRType, Rcode, decodeMessage, type DnsMessage } from './wire.js';

const jp: RecordFile = {
  domain: 'api.svc.plus',
  region: 'jp',
  ttl: 30,
  zone: 'svc.plus',
  records: [
    { node: 'jp-svc-plus-1', ip: '127.1.1.1', weight: 50 },
    { node: 'jp-svc-plus-2', ip: '127.1.1.2', weight: 50 },
  ],
};

let dir: string;
let server: DnsServer;
let port: number;
const down = new Set<string>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xplane-dns-server-'));
  await writeRecordFile(dir, jp);
  const records = new RecordStore({ dir, log: silentLogger() });
  server = new DnsServer({ records, isDown: (node) => down.has(node), log: silentLogger(), tcpIdleMs: 300 });
  const ports = await server.listen('127.0.0.1:0');
  assert.equal(ports.udp, ports.tcp);
  port = ports.udp;
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function ip(msg: DnsMessage): string | undefined {
  const data = msg.answers[0]?.data;
  return data?.kind === 'a' ? data.address : undefined;
}

/** The answer IPs of `count` queries over UDP. */
async function ips(name: string, count: number): Promise<Set<string | undefined>> {
  const seen = new Set<string | undefined>();
  for (let i = 0; i < count; i++) seen.add(ip(await queryDns(name, RRType.A, { port })));
  return seen;
}

describe('DnsServer', () => {
  it('answers an A query over UDP with the IP and TTL of the file', async () => {
    const msg = await queryDns('API.svc.plus.', RRType.A, { port });
    assert.equal(msg.header.rcode, Rcode.NOERROR);
    assert.equal(msg.header.aa, true);
    assert.ok(['127.1.1.1', '127.1.1.2'].includes(ip(msg) ?? ''));
    assert.equal(msg.answers[0]?.ttl, 30);
  });

  it('answers several queries on one TCP connection, in order', async () => {
    const replies = await exchangeTcp(
      [encodeQuery('api.svc.plus', RRType.A, 1), encodeQuery('nope.svc.plus', RRType.A, 2), encodeQuery('example.com', RRType.A, 3)],
      { port },
    );
    const decoded = replies.map((r) => {
      const d = decodeMessage(r);
      assert.ok(d.ok);
      return d.message;
    });
    assert.deepEqual(
      decoded.map((m) => [m.header.id, m.header.rcode]),
      [
        [1, Rcode.NOERROR],
        [2, Rcode.NXDOMAIN],
        [3, Rcode.REFUSED],
      ],
    );
    assert.equal(decoded[0]?.answers[0]?.ttl, 30);
  });

  it('leaves out a node marked down at once, and fails open when all are down', async () => {
    down.add('jp-svc-plus-1');
    try {
      assert.deepEqual([...(await ips('api.svc.plus', 30))], ['127.1.1.2']);
      down.add('jp-svc-plus-2');
      assert.deepEqual([...(await ips('api.svc.plus', 40))].sort(), ['127.1.1.1', '127.1.1.2']);
    } finally {
      down.clear();
    }
  });

  it('serves rewritten files within the reload interval and skips a corrupt one', async () => {
    await writeRecordFile(dir, { ...jp, ttl: 10, records: [{ node: 'jp-svc-plus-3', ip: '127.1.1.3', weight: 1 }] });
    await mkdir(join(dir, 'www.svc.plus'), { recursive: true });
    await writeFile(join(dir, 'www.svc.plus', 'jp.json'), 'not json');
    await sleep(250);
    const msg = await queryDns('api.svc.plus', RRType.A, { port, transport: 'tcp' });
    assert.equal(ip(msg), '127.1.1.3');
    assert.equal(msg.answers[0]?.ttl, 10);
    assert.equal((await queryDns('www.svc.plus', RRType.A, { port })).header.rcode, Rcode.NXDOMAIN);
  });

  it('answers FORMERR to a malformed query and survives garbage', async () => {
    const broken = Uint8Array.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const reply = decodeMessage(await exchangeUdp(broken, { port }));
    assert.ok(reply.ok);
    assert.equal(reply.message.header.rcode, Rcode.FORMERR);
    await assert.rejects(exchangeUdp(Uint8Array.from([1, 2, 3]), { port, timeoutMs: 100 }), /no UDP reply/);
    await assert.rejects(exchangeTcp(Uint8Array.from([1, 2, 3]), { port }), /closed/);
    assert.equal((await queryDns('api.svc.plus', RRType.A, { port })).header.rcode, Rcode.NOERROR);
  });

  it('closes an idle TCP connection', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2000, `closed after ${elapsed} ms`);
  });

  it('parses listen addresses, allowing port 0', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:5353'), { host: '::1', port: 5353 });
    for (const bad of ['127.0.0.1', '::1:53', 'host:65536', ':53']) assert.throws(() => parseListenAddress(bad), /host:port/);
  });
});
