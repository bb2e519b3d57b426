import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, describe, it } from 'node:test';
import type { HealthCheck } from '../config/index.js';
import { probeOnce } from './probe.js';

const servers: (Server | TcpServer)[] = [];

after(async () => {
  for (const s of servers) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    if (s.listening) await new Promise((r) => s.close(r));
  }
});

async function httpServer(handler: RequestListener, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

async function tcpServer(): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer((socket) => socket.end());
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

// A port nothing listens on: bind one, then close it.
async function closedPort(): Promise<number> {
  const { server, port } = await tcpServer();
  await new Promise((r) => server.close(r));
  return port;
}

const http = (port: number, extra: Partial<HealthCheck> = {}): HealthCheck => ({
  type: 'http',
  path: '/healthz',
  port,
  interval: 1_000,
  timeout: 300,
  rise: 2,
  fall: 3,
  ...extra,
});

const socketsInUse = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never happened: ${what}`);
}

describe('probeOnce over http', () => {
  it('passes on 200 and asks for the configured path without keep-alive', async () => {
    let seen = { url: '', connection: '' };
    const { port } = await httpServer((req, res) => {
      seen = { url: req.url ?? '', connection: req.headers.connection ?? '' };
      res.end('ok');
    });
    const o = await probeOnce('127.0.0.1', http(port));
    assert.equal(o.ok, true);
    assert.equal(o.detail, 'status 200');
    assert.ok(o.ms >= 0 && o.ms < 300);
    assert.deepEqual(seen, { url: '/healthz', connection: 'close' });
  });

  it('passes on a redirect', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    assert.equal((await probeOnce('127.0.0.1', http(port))).ok, true);
  });

  it('fails softly on a 500 and passes once the node recovers', async () => {
    let status = 500;
    const { port } = await httpServer((_req, res) => {
      res.writeHead(status).end('body');
    });
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port))), { ok: false, hard: false, detail: 'status 500' });
    status = 204;
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port))), { ok: true, hard: false, detail: 'status 204' });
  });

  it('fails softly with a timeout when the node hangs', async () => {
    const { port } = await httpServer(() => {
      // never answers
    });
    const before = socketsInUse();
    const o = await probeOnce('127.0.0.1', http(port, { timeout: 150 }));
    assert.deepEqual(pick(o), { ok: false, hard: false, detail: 'timeout after 150 ms' });
    assert.ok(o.ms >= 140, `took ${o.ms} ms`);
    await eventually(() => socketsInUse() <= before, 'the timed-out socket is closed');
  });

  it('times out when the body stalls after the headers', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port, { timeout: 150 }))), {
      ok: false,
      hard: false,
      detail: 'timeout after 150 ms',
    });
  });

  it('fails hard when the node closes the connection', async () => {
    const { port } = await httpServer((req) => {
      req.socket.destroy();
    });
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port))), { ok: false, hard: true, detail: 'connection reset' });
  });

  it('fails hard when the body is cut short', async () => {
    const { port } = await httpServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only some', () => req.socket.destroy());
    });
    const o = await probeOnce('127.0.0.1', http(port));
    assert.equal(o.ok, false);
    assert.equal(o.hard, true);
  });

  it('fails hard when nothing listens', async () => {
    const port = await closedPort();
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port))), { ok: false, hard: true, detail: 'connection refused' });
  });

  it('fails softly on a port that cannot exist instead of throwing', async () => {
    const o = await probeOnce('127.0.0.1', http(70_000));
    assert.equal(o.ok, false);
    assert.equal(o.hard, false);
  });

  it('leaves no connection open on either side after a probe', async () => {
    const { server, port } = await httpServer((_req, res) => {
      res.end('ok');
    });
    const before = socketsInUse();
    for (let i = 0; i < 5; i++) assert.equal((await probeOnce('127.0.0.1', http(port))).ok, true);
    await eventually(() => new Promise<boolean>((r) => server.getConnections((_e, n) => r(n === 0))), 'the server has no connection left');
    await eventually(() => socketsInUse() <= before, 'the client sockets are closed');
  });

  it('brackets an IPv6 host', async (t) => {
    let server: { port: number };
    let hostHeader = '';
    try {
      server = await httpServer((req, res) => {
        hostHeader = req.headers.host ?? '';
        res.end();
      }, '::1');
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    assert.equal((await probeOnce('::1', http(server.port))).ok, true);
    assert.equal(hostHeader, `[::1]:${server.port}`);
    assert.equal((await probeOnce('[::1]', http(server.port))).ok, true);
  });
});

describe('probeOnce over tcp', () => {
  it('passes when the port accepts a connection', async () => {
    const { port } = await tcpServer();
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port, { type: 'tcp' }))), { ok: true, hard: false, detail: 'connected' });
  });

  it('fails hard once the server is closed', async () => {
    const { server, port } = await tcpServer();
    assert.equal((await probeOnce('127.0.0.1', http(port, { type: 'tcp' }))).ok, true);
    await new Promise((r) => server.close(r));
    assert.deepEqual(pick(await probeOnce('127.0.0.1', http(port, { type: 'tcp' }))), { ok: false, hard: true, detail: 'connection refused' });
  });
});

function pick(o: { ok: boolean; hard: boolean; detail: string }): { ok: boolean; hard: boolean; detail: string } {
  return { ok: o.ok, hard: o.hard, detail: o.detail };
}
