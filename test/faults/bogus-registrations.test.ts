// Fault: 10,000 bogus registrations from a handful of client addresses — a
// wrong bootstrap token, undeclared services, invalid bodies, and valid-looking
// ones beyond the rate limit. They are rejected or rate-limited, the registry
// (and its SQLite file) grows by exactly the registrations the limit let
// through, memory stays bounded, and a real agent is served afterwards.
import assert from 'node:assert/strict';
import { Agent as HttpAgent, request } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/index.js';
import type { Declarations } from '../../src/config/index.js';
import { ConfigInForce } from '../../src/gitops/index.js';
import { silentLogger } from '../../src/log/index.js';
import { Metrics } from '../../src/metrics/index.js';
import { NodeRegistry } from '../../src/nodes/index.js';
import { buildApp } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { seedDeclarations, tempDir } from '../../src/testing/index.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const TOTAL = 10_000;
const CONCURRENCY = 50;
const PER_MINUTE = 100;
/** Each bogus client sends from its own loopback address, as separate machines would. */
const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

/** Collects garbage when the runtime allows it (node --expose-gc is not needed). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** One bogus request: which kind, and what it sends. */
function bogus(i: number): { kind: string; token: string; body: string; headers: Record<string, string> } {
  const node = { service: 'svc-plus', region: i % 2 === 0 ? 'jp' : 'sg', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080` };
  const boot = TOKENS.bootstrap;
  // A client pretending to be a replica forwarding for someone else, without the replica secret.
  const spoof: Record<string, string> = i % 7 === 0 ? { 'x-forwarded-for': `192.0.2.${i % 250}`, 'x-xplane-replica': 'guessed' } : {};
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
      return { kind: 'bad token', token: `boot-secret-${i}`, body: JSON.stringify(node), headers: spoof };
    case 3:
    case 4:
      return { kind: 'unknown service', token: boot, body: JSON.stringify({ ...node, service: `svc-${i}` }), headers: spoof };
    case 5:
      return { kind: 'invalid body', token: boot, body: JSON.stringify({ ...node, address: 'not-an-ip', extra: 'x'.repeat(i % 500) }), headers: spoof };
    case 6:
      return { kind: 'invalid body', token: boot, body: i % 3 === 0 ? '{"service":' : JSON.stringify([node]), headers: spoof };
    default:
      return { kind: 'valid-looking', token: boot, body: JSON.stringify(node), headers: spoof };
  }
}

function post(
  agent: HttpAgent,
  port: number,
  path: string,
  token: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('10,000 bogus registrations', () => {
  let dir: string;
  let store: SqliteStore;
  let registry: NodeRegistry;
  let app: FastifyInstance;
  let port: number;
  let config: Declarations;

  before(async () => {
    dir = tempDir('xplane-bogus-');
    const seed = await seedDeclarations();
    const gtm = seed.gtm['svc-plus'];
    assert.ok(gtm);
    // Short heartbeats so the real agent becomes active within a second.
    const declarations: Declarations = { ...seed, gtm: { 'svc-plus': { ...gtm, health: { ...gtm.health, interval: 200 } } } };
    store = SqliteStore.open(join(dir, 'xplane.db'));
    await store.putSnapshot({ commit: 'b'.repeat(40), declarations, storedAt: 1 });
    const inForce = new ConfigInForce(store);
    await inForce.refresh();
    config = declarations;
    registry = new NodeRegistry({ store, log: silentLogger(), config: () => inForce.declarations, probing: false });
    const metrics = new Metrics(
      { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => true },
      { defaultMetrics: false },
    );
    app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger(), registerPerMinute: PER_MINUTE });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await app.close();
    await registry.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rate-limits and rejects them, grows the registry only by what the limit allows, stays bounded and still serves a real agent', async () => {
    assert.ok(config.gtm['svc-plus']);
    const agents = SOURCES.map((localAddress) => new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY, localAddress }));
    collectGarbage();
    const before = process.memoryUsage();
    const nodesBefore = registry.records({}).length;
    const started = performance.now();

    const statuses = new Map<string, Map<number, number>>();
    const perSource = SOURCES.map(() => ({ admitted: 0, limited: 0 }));
    const registered = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < TOTAL; i = next++) {
        const source = Math.floor(i / 10) % SOURCES.length;
        const b = bogus(i);
        const res = await post(agents[source] as HttpAgent, port, '/v1/nodes/register', b.token, b.body, b.headers);
        assert.ok(res.status < 500, `${b.kind}: ${res.status} ${res.text}`);
        const byStatus = statuses.get(b.kind) ?? new Map<number, number>();
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        statuses.set(b.kind, byStatus);
        const counts = perSource[source];
        assert.ok(counts);
        if (res.status === 429) counts.limited += 1;
        else counts.admitted += 1;
        if (res.status === 201) {
          assert.equal(b.kind, 'valid-looking', res.text);
          const name = (JSON.parse(res.text) as { name: string }).name;
          assert.ok(!registered.has(name), `name ${name} given twice`);
          registered.add(name);
        } else {
          const error = (JSON.parse(res.text) as { error: { code: string } }).error;
          const expected: Record<number, string> = { 400: 'XP_ERR_BAD_REQUEST', 401: 'XP_ERR_UNAUTHORIZED', 429: 'XP_ERR_RATE_LIMITED' };
          assert.equal(error.code, expected[res.status], `${b.kind}: ${res.status} ${res.text}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    const elapsedMs = performance.now() - started;
    for (const a of agents) a.destroy();

    const summary = JSON.stringify(Object.fromEntries([...statuses].map(([k, v]) => [k, Object.fromEntries(v)])));
    // The limiter's window is a minute; a run longer than that may rightly admit another round.
    const windows = Math.ceil(elapsedMs / 60_000);
    for (const [i, s] of perSource.entries()) {
      assert.equal(s.admitted + s.limited, TOTAL / SOURCES.length, `every request of ${SOURCES[i]} was answered`);
      assert.ok(s.admitted <= PER_MINUTE * windows && s.admitted >= PER_MINUTE, `${SOURCES[i]}: ${s.admitted} admitted; ${summary}`);
    }
    const statusesOf = (kind: string) => statuses.get(kind) ?? new Map<number, number>();
    assert.ok((statusesOf('bad token').get(401) ?? 0) > 0, summary);
    assert.ok((statusesOf('unknown service').get(400) ?? 0) > 0, summary);
    assert.ok((statusesOf('invalid body').get(400) ?? 0) > 0, summary);
    assert.ok((statusesOf('valid-looking').get(429) ?? 0) > 0, summary);

    // The registry grew by exactly the registrations answered 201, within what the limit allows.
    const nodesAfter = registry.records({});
    assert.equal(nodesAfter.length - nodesBefore, registered.size, summary);
    assert.ok(registered.size <= PER_MINUTE * windows * SOURCES.length, `${registered.size} registered`);
    await registry.flush('all');
    const stored = await store.listNodes();
    assert.deepEqual(stored.map((n) => n.name).sort(), nodesAfter.map((n) => n.name).sort(), 'the store holds exactly the registered nodes');

    collectGarbage();
    const afterMem = process.memoryUsage();
    const heapGrowth = (afterMem.heapUsed - before.heapUsed) / 2 ** 20;
    const rssGrowth = (afterMem.rss - before.rss) / 2 ** 20;
    assert.ok(heapGrowth < 64, `heap grew ${heapGrowth.toFixed(1)} MiB`);
    assert.ok(rssGrowth < 256, `RSS grew ${rssGrowth.toFixed(1)} MiB`);
    process.stderr.write(
      `# ${TOTAL} bogus registrations in ${Math.round(elapsedMs)} ms; heap +${heapGrowth.toFixed(1)} MiB, RSS +${rssGrowth.toFixed(1)} MiB; ${summary}\n`,
    );

    // A bogus source is still limited, and a real agent (another machine: another address) is served.
    const stillLimited = new HttpAgent({ keepAlive: false, localAddress: SOURCES[0] });
    const again = await post(
      stillLimited,
      port,
      '/v1/nodes/register',
      TOKENS.bootstrap,
      JSON.stringify({ service: 'svc-plus', region: 'jp', address: '10.9.9.9' }),
      {},
    );
    assert.equal(again.status, 429, again.text);
    stillLimited.destroy();

    const states: string[] = [];
    const agent = new Agent({
      server: `http://127.0.0.1:${port}`,
      bootstrapToken: TOKENS.bootstrap,
      service: 'svc-plus',
      region: 'jp',
      address: '127.0.0.1:0',
      log: silentLogger(),
      stats: { sample: () => ({ cpu: 0.25, qps: 5 }) },
      onEvent: (e) => {
        if (e.type === 'state') states.push(e.state);
      },
    });
    await agent.start();
    try {
      const deadline = performance.now() + 10_000;
      while (agent.state !== 'active' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(agent.state, 'active', `the real agent went through ${states.join(' → ')}`);
      const name = agent.name ?? '';
      assert.equal(registry.get(name)?.state, 'active');
      assert.ok(!registered.has(name));
    } finally {
      await agent.stop();
    }
  });
});
