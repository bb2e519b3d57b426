// The PowerDNS API client's messages for answers a real pdns_server rarely
// gives on cue (a rejected change, something that is not its API), from a
// small HTTP server on loopback. The common failures against a real PowerDNS
// are in test/powerdns-engine.test.ts.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PowerDnsApi } from './powerdns-api.js';

type Handler = (method: string, url: string, body: string) => { status: number; body?: string; type?: string };

describe('PowerDnsApi', () => {
  let server: Server;
  let url = '';
  let handler: Handler = () => ({ status: 500 });
  const seen: { method: string; url: string; key: string | undefined; type: string | undefined; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          key: req.headers['x-api-key'] as string | undefined,
          type: req.headers['content-type'],
          body,
        });
        const answer = handler(req.method ?? '', req.url ?? '', body);
        res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const api = () => new PowerDnsApi({ url: `${url}/`, serverId: 'localhost', apiKey: 'k1' });

  it('sends the key and JSON, and takes 204 for a PATCH', async () => {
    seen.length = 0;
    handler = () => ({ status: 204 });
    await api().patch('svc.plus.', [{ name: 'a.svc.plus.', type: 'LUA', changetype: 'DELETE' }]);
    assert.deepEqual(seen[0], {
      method: 'PATCH',
      url: '/api/v1/servers/localhost/zones/svc.plus.',
      key: 'k1',
      type: 'application/json',
      body: '{"rrsets":[{"name":"a.svc.plus.","type":"LUA","changetype":"DELETE"}]}',
    });
  });

  it('sends a PATCH answered 500 again (a busy SQLite backend), and gives up after a few', async () => {
    seen.length = 0;
    let failures = 2;
    handler = () => (failures-- > 0 ? { status: 500, body: '{"error": "database is locked"}' } : { status: 204 });
    await api().patch('svc.plus.', []);
    assert.equal(seen.length, 3);
    seen.length = 0;
    handler = () => ({ status: 500, body: '{"error": "database is locked"}' });
    await assert.rejects(api().patch('svc.plus.', []), /500 .*database is locked/);
    assert.equal(seen.length, 5);
  });

  it("passes on PowerDNS's reason for a rejected change", async () => {
    handler = () => ({ status: 422, body: '{"error": "RRset a.svc.plus. IN LUA: Conflicts with pre-existing RRset"}' });
    await assert.rejects(
      api().patch('svc.plus.', []),
      /refused PATCH \/api\/v1\/servers\/localhost\/zones\/svc\.plus\.: 422 .*: RRset a\.svc\.plus\. IN LUA: Conflicts with pre-existing RRset/,
    );
  });

  it('counts 403 as a refused key too', async () => {
    handler = () => ({ status: 403 });
    await assert.rejects(api().rrsets('svc.plus.'), /refused the API key \(403 Forbidden\)/);
  });

  it('says when the URL is not a PowerDNS API', async () => {
    handler = () => ({ status: 200, body: '<html>hello</html>', type: 'text/html' });
    await assert.rejects(api().rrsets('svc.plus.'), /answered GET .* with something that is not JSON \(is xplane:powerdnsApiUrl its API\?\)/);
  });

  it('knows LUA records are on from the server setting or the zone metadata', async () => {
    handler = (_m, u) =>
      u.endsWith('/config')
        ? { status: 200, body: JSON.stringify([{ name: 'enable-lua-records', value: 'no' }]) }
        : { status: 200, body: JSON.stringify({ kind: 'ENABLE-LUA-RECORDS', metadata: ['1'] }) };
    assert.equal(await api().luaRecordsEnabled('svc.plus.'), true);
    handler = (_m, u) =>
      u.endsWith('/config') ? { status: 200, body: JSON.stringify([{ name: 'enable-lua-records', value: 'no' }]) } : { status: 200, body: '{"metadata": []}' };
    assert.equal(await api().luaRecordsEnabled('svc.plus.'), false);
  });
});
