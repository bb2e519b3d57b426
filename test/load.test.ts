// `xplane load`'s engine against the real embedded DNS server and real HTTP
// nodes on loopback addresses: traffic follows the weighted answers, and a
// node marked down stops getting any at once.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DnsServer, RecordStore, writeRecordFile } from '../src/dns/index.js';
import { runLoad } from '../src/load/index.js';
import { silentLogger } from '../src/log/index.js';
import { freePort } from './helpers/serve.js';

describe('load through the embedded DNS', () => {
  let dir: string;
  let dns: DnsServer;
  let dnsPort: number;
  let port: number;
  const down = new Set<string>();
  const nodes: Server[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xplane-load-'));
    port = await freePort();
    for (const host of ['127.0.0.2', '127.0.0.3']) {
      const server = createServer((_req, res) => res.end(host));
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      nodes.push(server);
    }
    await writeRecordFile(join(dir, 'dns'), {
      domain: 'api.svc.plus',
      region: 'jp',
      ttl: 1,
      zone: 'svc.plus',
      records: [
        { node: 'jp-svc-plus-1', ip: '127.0.0.2', weight: 50 },
        { node: 'jp-svc-plus-2', ip: '127.0.0.3', weight: 50 },
      ],
    });
    dns = new DnsServer({ records: new RecordStore({ dir: join(dir, 'dns'), log: silentLogger() }), isDown: (n) => down.has(n), log: silentLogger() });
    dnsPort = (await dns.listen('127.0.0.1:0')).udp;
  });

  after(async () => {
    await dns.close();
    for (const s of nodes) await new Promise<void>((resolve) => s.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over the weighted nodes', async () => {
    const totals = await runLoad({ name: 'api.svc.plus', dns: `127.0.0.1:${dnsPort}`, port, qps: 100, durationMs: 1_000, onSecond: () => undefined });
    assert.ok(totals.sent >= 80, `sent ${totals.sent}`);
    assert.equal(totals.failed, 0);
    assert.ok((totals.byAddress['127.0.0.2'] ?? 0) > 10 && (totals.byAddress['127.0.0.3'] ?? 0) > 10, JSON.stringify(totals.byAddress));
  });

  it('sends nothing to a node the registry marks down', async () => {
    down.add('jp-svc-plus-1');
    const totals = await runLoad({ name: 'api.svc.plus', dns: `127.0.0.1:${dnsPort}`, port, qps: 100, durationMs: 500, onSecond: () => undefined });
    assert.equal(totals.byAddress['127.0.0.2'] ?? 0, 0);
    assert.ok((totals.byAddress['127.0.0.3'] ?? 0) > 0);
  });
});
