// A follower's API in front of a leader's, both real fastify servers on
// loopback: what reaches the follower under /v1/ is answered by the leader.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Declarations } from '../config/index.js';
import { silentLogger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry } from '../nodes/index.js';
import { MemoryStore } from '../store/index.js';
import { forgejoPush, giteaPush, gitlabPush, rawExchange, seedDeclarations } from '../testing/index.js';
import { buildApp } from './app.js';
import type { ForwardTarget } from './forward.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const SECRET = 'hook-secret';

interface Replica {
  app: FastifyInstance;
  url: string;
  registry: NodeRegistry;
  store: MemoryStore;
  hooks: number;
  /** Times the forwarder said the leader is gone. */
  pokes: number;
}

async function replica(config: Declarations, target: () => ForwardTarget, registerPerMinute = 1000): Promise<Replica> {
  const store = new MemoryStore();
  const registry = new NodeRegistry({ store, log: silentLogger(), config: () => config });
  const metrics = new Metrics(
    { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => target().kind === 'local' },
    { defaultMetrics: false },
  );
  const self: Replica = { app: undefined as unknown as FastifyInstance, url: '', registry, store, hooks: 0, pokes: 0 };
  self.app = await buildApp({
    registry,
    metrics,
    tokens: TOKENS,
    log: silentLogger(),
    registerPerMinute,
    webhook: { secret: SECRET, trigger: () => void (self.hooks += 1) },
    decisions: (filter) => store.listDecisions(filter),
    forward: { target, replicaId: `r-${Math.random()}`, replicaSecret: TOKENS.admin, onLeaderGone: () => void (self.pokes += 1) },
  });
  await self.app.listen({ host: '127.0.0.1', port: 0 });
  const bound = self.app.server.address();
  self.url = `http://127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
  return self;
}

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

describe('followers forward /v1/* to the leader', () => {
  let leader: Replica;
  let follower: Replica;
  let target: ForwardTarget = { kind: 'none', reason: 'starting' };

  before(async () => {
    const config = await seedDeclarations();
    leader = await replica(config, () => ({ kind: 'local' }), 2);
    follower = await replica(config, () => target);
    target = { kind: 'leader', url: leader.url };
  });
  after(async () => {
    await follower.app.close();
    await leader.app.close();
  });

  it('registers, heartbeats and lists through the follower; the leader holds the node', async () => {
    const reg = await fetch(`${follower.url}/v1/nodes/register`, {
      method: 'POST',
      headers: json(TOKENS.bootstrap),
      body: JSON.stringify({ service: 'svc-plus', region: 'jp', address: '127.0.0.9:8080' }),
    });
    assert.equal(reg.status, 201);
    const { name, token } = (await reg.json()) as { name: string; token: string };
    assert.equal(leader.registry.get(name)?.state, 'warm');
    assert.equal(follower.registry.get(name), undefined, 'the follower keeps no registry of its own');

    const beat = await fetch(`${follower.url}/v1/nodes/heartbeat`, { method: 'POST', headers: json(token), body: JSON.stringify({ name, cpu: 0.42 }) });
    assert.equal(beat.status, 200);
    assert.equal(leader.registry.get(name)?.cpu, 0.42);

    const list = await fetch(`${follower.url}/v1/nodes?service=svc-plus`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    assert.deepEqual(
      ((await list.json()) as { name: string }[]).map((n) => n.name),
      [name],
    );
  });

  it('refuses before 100 Continue what a follower can judge, and leaves node tokens to the leader', async () => {
    const port = Number(new URL(follower.url).port);
    const expecting = (path: string, token: string | undefined, body: string): string =>
      `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `${token === undefined ? '' : `authorization: Bearer ${token}\r\n`}expect: 100-continue\r\n\r\n`;
    const registration = JSON.stringify({ service: 'svc-plus', region: 'jp', address: '127.0.0.11:8080' });

    const missing = await rawExchange(port, expecting('/v1/nodes/register', undefined, registration), registration);
    assert.deepEqual([missing.statusLines[0], missing.bodySent], ['HTTP/1.1 401 Unauthorized', false]);
    const adminOnRegister = await rawExchange(port, expecting('/v1/nodes/register', TOKENS.admin, registration), registration);
    assert.deepEqual([adminOnRegister.statusLines[0], adminOnRegister.bodySent], ['HTTP/1.1 403 Forbidden', false]);

    const registered = await rawExchange(port, expecting('/v1/nodes/register', TOKENS.bootstrap, registration), registration);
    assert.deepEqual(registered.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 201 Created']);
    const { name, token } = JSON.parse(registered.body) as { name: string; token: string };
    // The follower holds no node tokens: only the leader can tell this one, so the body goes on to it.
    const beat = JSON.stringify({ name, cpu: 0.2 });
    const heartbeat = await rawExchange(port, expecting('/v1/nodes/heartbeat', token, beat), beat);
    assert.deepEqual(heartbeat.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    const junk = await rawExchange(port, expecting('/v1/nodes/heartbeat', 'junk', beat), beat);
    assert.deepEqual(junk.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 401 Unauthorized'], 'the leader refuses what the follower could not judge');
  });

  it('serves the status page and its login itself, and forwards the session cookie and the history’s Link to the leader', async () => {
    target = { kind: 'leader', url: leader.url };
    const decision = {
      controller: 'gtm',
      service: 'svc-plus',
      region: 'sg',
      kind: 'weight',
      summary: 'gtm: svc-plus sg weight 10→0',
      why: {},
      commit: null,
    } as const;
    await leader.store.appendDecisions([
      { ...decision, at: 1_000 },
      { ...decision, at: 2_000 },
    ]);
    assert.equal((await fetch(`${follower.url}/ui/`)).status, 200);
    const login = await fetch(`${follower.url}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKENS.admin }),
    });
    assert.equal(login.status, 204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const history = await fetch(`${follower.url}/v1/history?limit=1`, { headers: { cookie } });
    assert.equal(history.status, 200, await history.clone().text());
    assert.equal(((await history.json()) as unknown[]).length, 1);
    assert.match(history.headers.get('link') ?? '', /^<\/v1\/history\?before=1970-01-01T00%3A00%3A02\.000Z&limit=1>; rel="next"$/);
    assert.equal((await fetch(`${follower.url}/v1/history`)).status, 401, 'the leader refuses it without the cookie');
  });

  it('passes the leader’s errors through unchanged', async () => {
    const res = await fetch(`${follower.url}/v1/nodes/heartbeat`, {
      method: 'POST',
      headers: json('nope'),
      body: JSON.stringify({ name: 'jp-svc-plus-77', cpu: 2 }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { field?: string } }).error.field, 'cpu');
  });

  it('forwards the webhook byte for byte, so its signature still holds', async () => {
    const body = '{"ref":"refs/heads/main",  "after":"abc"}';
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const res = await fetch(`${follower.url}/v1/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    });
    assert.equal(res.status, 202);
    assert.equal(leader.hooks, 1);
    assert.equal(follower.hooks, 0);
  });

  it('forwards Gitea’s and GitLab’s webhooks with their own headers, so the leader can check them', async () => {
    const push = { url: 'https://git.example.com/acme/gitops.git', branch: 'main', before: 'a'.repeat(40), after: 'b'.repeat(40) };
    const before = leader.hooks;
    for (const hook of [giteaPush(SECRET, push, { ownHeadersOnly: true }), forgejoPush(SECRET, push), gitlabPush(SECRET, push)]) {
      const res = await fetch(`${follower.url}/v1/hooks/git`, { method: 'POST', headers: hook.headers, body: hook.body });
      assert.equal(res.status, 202, await res.text());
    }
    assert.equal(leader.hooks, before + 3);
    assert.equal(follower.hooks, 0);
  });

  it('limits registrations by the client the follower saw, not by the follower', async () => {
    // The leader allows 2 registrations a minute per client; the follower's own limit is high.
    const register = (forwardedFor?: string) =>
      fetch(`${leader.url}/v1/nodes/register`, {
        method: 'POST',
        headers: { ...json(TOKENS.bootstrap), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor, 'x-xplane-replica': TOKENS.admin } : {}) },
        body: JSON.stringify({ service: 'svc-plus', region: 'sg', address: '127.0.0.10' }),
      });
    assert.equal((await register('10.1.1.1')).status, 201);
    assert.equal((await register('10.1.1.1')).status, 201);
    assert.equal((await register('10.1.1.1')).status, 429);
    assert.equal((await register('10.2.2.2')).status, 201, 'another client behind the same follower has its own budget');
    // Without the replica secret the header is ignored: both count against the caller, 127.0.0.1, whose budget is 2.
    const spoofed = (ip: string) =>
      fetch(`${leader.url}/v1/nodes/register`, {
        method: 'POST',
        headers: { ...json(TOKENS.bootstrap), 'x-forwarded-for': ip, 'x-xplane-replica': 'guess' },
        body: JSON.stringify({ service: 'svc-plus', region: 'sg', address: '127.0.0.10' }),
      });
    const statuses = [(await spoofed('10.9.9.9')).status, (await spoofed('10.8.8.8')).status, (await spoofed('10.7.7.7')).status];
    assert.equal(statuses.at(-1), 429, `statuses ${statuses.join(', ')}`);
  });

  it('answers 503 with Retry-After while no replica leads, and keeps /healthz local', async () => {
    target = { kind: 'none', reason: 'the store did not answer' };
    try {
      const res = await fetch(`${follower.url}/v1/nodes`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /no leader.*store did not answer/);
      assert.equal((await fetch(`${follower.url}/healthz`)).status, 200);
    } finally {
      target = { kind: 'leader', url: leader.url };
    }
  });

  it('does not forward a request a second time, and says so when the leader is gone', async () => {
    const twice = await fetch(`${follower.url}/v1/nodes`, { headers: { authorization: `Bearer ${TOKENS.admin}`, 'x-xplane-forwarded-by': 'other' } });
    assert.equal(twice.status, 503);
    target = { kind: 'leader', url: 'http://127.0.0.1:9' };
    try {
      const gone = await fetch(`${follower.url}/v1/nodes`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      assert.equal(gone.status, 503);
      assert.match(((await gone.json()) as { error: { message: string } }).error.message, /did not answer/);
      assert.equal(follower.pokes, 1, 'the follower asks who leads now');
    } finally {
      target = { kind: 'leader', url: leader.url };
    }
  });
});
