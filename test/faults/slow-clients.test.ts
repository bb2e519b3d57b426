// Fault: clients that hold a connection open by sending slowly — headers one
// byte at a time (slowloris), nothing at all, or a body that trickles or never
// finishes. Each connection is closed within the configured request timeout
// with a 408 in the API's error shape, nothing half-sent reaches the registry,
// and other clients are served the whole time.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Declarations } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { Metrics } from '../../src/metrics/index.js';
import { NodeRegistry } from '../../src/nodes/index.js';
import { buildApp } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { seedDeclarations } from '../../src/testing/index.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const TIMEOUT_MS = 800;
const NODE = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

/** How a slow connection ended: when (ms after it opened) and what the server sent. */
interface Ending {
  closedAfterMs: number;
  answer: string;
}

/** Opens a raw connection and feeds it `chunks` every `everyMs`; resolves when the server closes it (or after `giveUpMs`). */
function slowClient(port: number, first: string, trickle: string, everyMs: number, giveUpMs = 10_000): Promise<Ending> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const opened = performance.now();
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (first !== '') socket.write(first);
      timer = setInterval(() => {
        if (i < trickle.length && socket.writable) socket.write(trickle[i++] ?? '');
      }, everyMs);
    });
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => undefined);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: performance.now() - opened, answer });
    });
  });
}

function assertTimedOut(ending: Ending, what: string): void {
  assert.ok(
    ending.closedAfterMs >= TIMEOUT_MS - 50 && ending.closedAfterMs < TIMEOUT_MS + 1_500,
    `${what}: closed after ${Math.round(ending.closedAfterMs)} ms, expected about ${TIMEOUT_MS} ms`,
  );
  assert.match(ending.answer, /^HTTP\/1\.1 408 /, `${what}: ${ending.answer}`);
  const body = JSON.parse(ending.answer.slice(ending.answer.indexOf('\r\n\r\n') + 4)) as { error?: { code?: string; message?: string } };
  assert.equal(body.error?.code, 'XP_ERR_TIMEOUT', `${what}: ${ending.answer}`);
}

describe('slow clients', () => {
  let seed: Declarations;
  let app: FastifyInstance;
  let registry: NodeRegistry;
  let url: string;
  let port: number;

  before(async () => {
    seed = await seedDeclarations();
    registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => seed });
    const metrics = new Metrics(
      { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => true },
      { defaultMetrics: false },
    );
    app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger(), requestTimeoutMs: TIMEOUT_MS, registerPerMinute: 10_000 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.close();
  });

  /** Keeps a real client busy until `until` settles; returns the slowest answer and how many it got. */
  async function servedMeanwhile(until: Promise<unknown>): Promise<{ requests: number; slowestMs: number }> {
    let done = false;
    void until.finally(() => (done = true));
    let requests = 0;
    let slowestMs = 0;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `done` is set by the finally callback while this loop awaits; narrowing cannot see that
    while (!done) {
      const started = performance.now();
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      const registered = await fetch(`${url}/v1/nodes/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.bootstrap}`, 'content-type': 'application/json' },
        body: JSON.stringify(NODE),
      });
      assert.equal(registered.status, 201);
      const { name, token } = (await registered.json()) as { name: string; token: string };
      const beat = await fetch(`${url}/v1/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, cpu: 0.3 }),
      });
      assert.equal(beat.status, 200);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      requests += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { requests, slowestMs };
  }

  it('closes a slowloris connection (headers one byte at a time) within the request timeout and serves others meanwhile', async () => {
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(400)}\r\n\r\n`;
    const slow = slowClient(port, '', headers, 20);
    const meanwhile = await servedMeanwhile(slow);
    assertTimedOut(await slow, 'slowloris');
    assert.ok(meanwhile.requests >= 3, `served ${meanwhile.requests} rounds meanwhile`);
    assert.ok(meanwhile.slowestMs < 500, `slowest round took ${Math.round(meanwhile.slowestMs)} ms`);
  });

  it('closes a connection that sends nothing within the request timeout', async () => {
    assertTimedOut(await slowClient(port, '', '', 1_000), 'silent connection');
  });

  it('closes a registration whose body trickles in, and the half-sent node is never registered', async () => {
    const before = registry.list().length;
    const body = JSON.stringify({ ...NODE, address: '127.0.0.99:8080' });
    const head = `POST /v1/nodes/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.bootstrap}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const slow = slowClient(port, head, body, 40);
    const meanwhile = await servedMeanwhile(slow);
    assertTimedOut(await slow, 'trickling body');
    assert.ok(meanwhile.slowestMs < 500, `slowest round took ${Math.round(meanwhile.slowestMs)} ms`);
    const after = registry.list();
    assert.equal(after.length, before + meanwhile.requests, 'only the real clients registered');
    assert.ok(!after.some((n) => n.address === '127.0.0.99:8080'), 'the trickled registration never took effect');
  });

  it('closes a request whose body never finishes', async () => {
    const head = `POST /v1/nodes/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`;
    assertTimedOut(await slowClient(port, head, '', 1_000), 'unfinished body');
  });

  it('closes 200 slowloris connections at once while a real client is still served', async () => {
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(400)}\r\n\r\n`;
    const all = Promise.all(Array.from({ length: 200 }, () => slowClient(port, '', headers, 50)));
    const meanwhile = await servedMeanwhile(all);
    const endings = await all;
    endings.forEach((e, i) => assertTimedOut(e, `slowloris #${i}`));
    assert.ok(meanwhile.slowestMs < 1_000, `slowest round took ${Math.round(meanwhile.slowestMs)} ms`);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
