// The HTTP API through fastify's inject(): every route, good and bad input.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Declarations } from '../config/index.js';
import { silentLogger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry } from '../nodes/index.js';
import { MemoryStore } from '../store/index.js';
import { seedDeclarations } from '../testing/index.js';
import { buildApp } from './app.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

interface Rig {
  app: FastifyInstance;
  registry: NodeRegistry;
  config: { current: Declarations | undefined };
}

async function rig(options: { registerPerMinute?: number; config?: Declarations | undefined } = {}): Promise<Rig> {
  const config = { current: options.config };
  const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => config.current });
  const metrics = new Metrics(
    { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => true },
    { defaultMetrics: false },
  );
  const app = await buildApp({
    registry,
    metrics,
    tokens: TOKENS,
    log: silentLogger(),
    registerPerMinute: options.registerPerMinute ?? 1000,
    notReadyReason: async () => (config.current ? null : 'no configuration in force yet'),
  });
  return { app, registry, config };
}

function errorOf(res: LightMyRequestResponse): { code: string; message: string; field?: string } {
  return res.json<{ error: { code: string; message: string; field?: string } }>().error;
}

const NODE = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

describe('HTTP API', () => {
  let seed: Declarations;
  let r: Rig;
  before(async () => {
    seed = await seedDeclarations();
  });
  beforeEach(async () => {
    r = await rig({ config: seed });
  });
  after(async () => {
    await r.app.close();
  });

  async function register(body: Record<string, unknown> = NODE, token = TOKENS.bootstrap) {
    return r.app.inject({ method: 'POST', url: '/v1/nodes/register', headers: auth(token), payload: body });
  }

  describe('POST /v1/nodes/register', () => {
    it('answers 201 with a name, a token and the heartbeat interval in ms', async () => {
      const res = await register();
      assert.equal(res.statusCode, 201);
      const body = res.json<{ name: string; token: string; heartbeatInterval: number }>();
      assert.equal(body.name, 'jp-svc-plus-1');
      assert.ok(body.token.length >= 32);
      assert.equal(body.heartbeatInterval, 5000);
    });

    it('stores the node before it answers 201, and answers 503 when the store refuses it', async () => {
      const store = new MemoryStore();
      const registry = new NodeRegistry({ store, log: silentLogger(), config: () => seed });
      const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
      const app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger() });
      try {
        const ok = await app.inject({ method: 'POST', url: '/v1/nodes/register', headers: auth(TOKENS.bootstrap), payload: NODE });
        assert.equal(ok.statusCode, 201);
        assert.equal((await store.getNode('jp-svc-plus-1'))?.state, 'warm', 'in the store before the answer');
        store.upsertNodes = async () => {
          throw new Error('disk I/O error');
        };
        const refused = await app.inject({ method: 'POST', url: '/v1/nodes/register', headers: auth(TOKENS.bootstrap), payload: NODE });
        assert.equal(refused.statusCode, 503);
        assert.equal(errorOf(refused).code, 'XP_ERR_NOT_READY');
      } finally {
        await app.close();
      }
    });

    it('gives the next name to the next node and keeps a name asked for', async () => {
      await register();
      assert.equal((await register()).json<{ name: string }>().name, 'jp-svc-plus-2');
      assert.equal((await register({ ...NODE, name: 'jp-svc-plus-7' })).json<{ name: string }>().name, 'jp-svc-plus-7');
      assert.equal((await register()).json<{ name: string }>().name, 'jp-svc-plus-8');
    });

    const bad: { name: string; body: unknown; token?: string; status: number; code: string; field?: string }[] = [
      { name: 'no token', body: NODE, token: '', status: 401, code: 'XP_ERR_UNAUTHORIZED' },
      { name: 'a wrong token', body: NODE, token: 'nope', status: 401, code: 'XP_ERR_UNAUTHORIZED' },
      { name: 'the admin token', body: NODE, token: TOKENS.admin, status: 403, code: 'XP_ERR_FORBIDDEN' },
      { name: 'a missing service', body: { region: 'jp', address: '127.0.0.2' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'service' },
      { name: 'a number for a string', body: { ...NODE, region: 5 }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'region' },
      { name: 'an unknown field', body: { ...NODE, colour: 'red' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'colour' },
      { name: 'an undeclared service', body: { ...NODE, service: 'svc-nope' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'service' },
      { name: 'an undeclared region', body: { ...NODE, region: 'us' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'region' },
      { name: 'a host name as address', body: { ...NODE, address: 'node.example' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'address' },
      { name: 'a name of another region', body: { ...NODE, name: 'sg-svc-plus-1' }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'name' },
      { name: 'a label value that is not a string', body: { ...NODE, labels: { a: 1 } }, status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'labels.a' },
      { name: 'a list body', body: [NODE], status: 400, code: 'XP_ERR_BAD_REQUEST', field: 'body' },
    ];
    for (const c of bad) {
      it(`refuses ${c.name} with ${c.status}`, async () => {
        const res = await r.app.inject({
          method: 'POST',
          url: '/v1/nodes/register',
          headers: c.token === '' ? {} : auth(c.token ?? TOKENS.bootstrap),
          payload: c.body as Record<string, unknown>,
        });
        assert.equal(res.statusCode, c.status, res.body);
        const e = errorOf(res);
        assert.equal(e.code, c.code);
        if (c.field) assert.equal(e.field, c.field);
        assert.ok(e.message.length > 0);
      });
    }

    it('refuses a huge body with 413 and stays up', async () => {
      const res = await r.app.inject({
        method: 'POST',
        url: '/v1/nodes/register',
        headers: { ...auth(TOKENS.bootstrap), 'content-type': 'application/json' },
        payload: JSON.stringify({ ...NODE, labels: { a: 'x'.repeat(100_000) } }),
      });
      assert.equal(res.statusCode, 413);
      assert.equal(errorOf(res).code, 'XP_ERR_PAYLOAD_TOO_LARGE');
      assert.equal((await register()).statusCode, 201);
    });

    it('refuses broken JSON with 400 naming the body', async () => {
      const res = await r.app.inject({
        method: 'POST',
        url: '/v1/nodes/register',
        headers: { ...auth(TOKENS.bootstrap), 'content-type': 'application/json' },
        payload: '{"service": "svc-plus",',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(errorOf(res).field, 'body');
    });

    it('rate-limits registrations per client', async () => {
      const limited = await rig({ config: seed, registerPerMinute: 3 });
      try {
        const codes = [];
        for (let i = 0; i < 5; i += 1) {
          const res = await limited.app.inject({ method: 'POST', url: '/v1/nodes/register', headers: auth(TOKENS.bootstrap), payload: NODE });
          codes.push(res.statusCode);
          if (res.statusCode === 429) {
            assert.equal(errorOf(res).code, 'XP_ERR_RATE_LIMITED');
            assert.match(errorOf(res).message, /retry in \d+ s/);
          }
        }
        assert.deepEqual(codes, [201, 201, 201, 429, 429]);
      } finally {
        await limited.app.close();
      }
    });
  });

  describe('POST /v1/nodes/heartbeat', () => {
    async function registered(body: Record<string, unknown> = NODE): Promise<{ name: string; token: string }> {
      return (await register(body)).json<{ name: string; token: string }>();
    }
    const beat = (token: string, payload: Record<string, unknown>) =>
      r.app.inject({ method: 'POST', url: '/v1/nodes/heartbeat', headers: token === '' ? {} : auth(token), payload });

    it('answers 200 with the node state', async () => {
      const node = await registered();
      const res = await beat(node.token, { name: node.name, cpu: 0.5, mem: 0.3, qps: 10, errorRate: 0, rttMs: 12 });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { state: 'warm' });
      assert.equal(r.registry.get(node.name)?.cpu, 0.5);
    });

    it('answers 404 for an unknown node', async () => {
      const node = await registered();
      const res = await beat(node.token, { name: 'jp-svc-plus-99', cpu: 0.1 });
      assert.equal(res.statusCode, 404);
      assert.equal(errorOf(res).code, 'XP_ERR_NOT_FOUND');
    });

    it('answers 401 without a token or with a wrong one, and 403 with another node’s token', async () => {
      const a = await registered();
      const b = await registered();
      assert.equal((await beat('', { name: a.name, cpu: 0.1 })).statusCode, 401);
      assert.equal((await beat('forged', { name: a.name, cpu: 0.1 })).statusCode, 401);
      assert.equal((await beat(TOKENS.bootstrap, { name: a.name, cpu: 0.1 })).statusCode, 401);
      const res = await beat(b.token, { name: a.name, cpu: 0.1 });
      assert.equal(res.statusCode, 403);
      assert.equal(errorOf(res).code, 'XP_ERR_FORBIDDEN');
    });

    it('stops accepting the old token after a re-registration', async () => {
      const first = await registered();
      const again = (await register({ ...NODE, name: first.name })).json<{ token: string }>();
      assert.equal((await beat(first.token, { name: first.name, cpu: 0.1 })).statusCode, 401);
      assert.equal((await beat(again.token, { name: first.name, cpu: 0.1 })).statusCode, 200);
    });

    const bad: { name: string; body: Record<string, unknown>; field: string }[] = [
      { name: 'cpu above 1', body: { cpu: 1.5 }, field: 'cpu' },
      { name: 'cpu as a string', body: { cpu: '0.5' }, field: 'cpu' },
      { name: 'a missing cpu', body: {}, field: 'cpu' },
      { name: 'a negative qps', body: { cpu: 0.1, qps: -1 }, field: 'qps' },
      { name: 'an error rate above 1', body: { cpu: 0.1, errorRate: 2 }, field: 'errorRate' },
      { name: 'an unknown field', body: { cpu: 0.1, disk: 0.2 }, field: 'disk' },
    ];
    for (const c of bad) {
      it(`refuses ${c.name} with 400 naming ${c.field}`, async () => {
        const node = await registered();
        const res = await beat(node.token, { name: node.name, ...c.body });
        assert.equal(res.statusCode, 400);
        assert.equal(errorOf(res).field, c.field);
      });
    }
  });

  describe('POST /v1/nodes/drain and GET /v1/nodes', () => {
    it('drains with the admin token and with the node’s own token, not another’s', async () => {
      const a = (await register()).json<{ name: string; token: string }>();
      const b = (await register()).json<{ name: string; token: string }>();
      const drain = (token: string, name: string) => r.app.inject({ method: 'POST', url: '/v1/nodes/drain', headers: auth(token), payload: { name } });
      assert.equal((await drain(b.token, a.name)).statusCode, 403);
      assert.equal((await drain(TOKENS.bootstrap, a.name)).statusCode, 403);
      assert.deepEqual((await drain(a.token, a.name)).json(), { state: 'drain' });
      assert.deepEqual((await drain(TOKENS.admin, b.name)).json(), { state: 'drain' });
      assert.equal((await drain(TOKENS.admin, 'jp-svc-plus-42')).statusCode, 404);
    });

    it('lists nodes for the admin, filtered', async () => {
      await register();
      await register({ ...NODE, region: 'sg', address: '127.0.0.3' });
      const all = await r.app.inject({ method: 'GET', url: '/v1/nodes', headers: auth(TOKENS.admin) });
      assert.equal(all.statusCode, 200);
      const nodes = all.json<
        {
          name: string;
          service: string;
          region: string;
          address: string;
          state: string;
          lastHeartbeat: string | null;
          cpu: number | null;
        }[]
      >();
      assert.deepEqual(
        nodes.map((n) => [n.name, n.region, n.state]),
        [
          ['jp-svc-plus-1', 'jp', 'warm'],
          ['sg-svc-plus-1', 'sg', 'warm'],
        ],
      );
      assert.ok('lastHeartbeat' in nodes[0]! && 'cpu' in nodes[0]);
      const sg = await r.app.inject({ method: 'GET', url: '/v1/nodes?region=sg&state=warm', headers: auth(TOKENS.admin) });
      assert.deepEqual(
        sg.json<{ name: string }[]>().map((n) => n.name),
        ['sg-svc-plus-1'],
      );
    });

    it('refuses the list to a non-admin token and a bad state filter', async () => {
      assert.equal((await r.app.inject({ method: 'GET', url: '/v1/nodes', headers: auth(TOKENS.bootstrap) })).statusCode, 403);
      assert.equal((await r.app.inject({ method: 'GET', url: '/v1/nodes' })).statusCode, 401);
      const res = await r.app.inject({ method: 'GET', url: '/v1/nodes?state=sleeping', headers: auth(TOKENS.admin) });
      assert.equal(res.statusCode, 400);
      assert.equal(errorOf(res).field, 'state');
    });
  });

  describe('health and metrics', () => {
    it('is live always and ready only with a configuration in force', async () => {
      assert.equal((await r.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal((await r.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      const empty = await rig({ config: undefined });
      try {
        const res = await empty.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(res.statusCode, 503);
        assert.match(res.body, /no configuration in force yet/);
      } finally {
        await empty.app.close();
      }
    });

    it('exposes node counts and heartbeats in Prometheus text', async () => {
      const node = (await register()).json<{ name: string; token: string }>();
      await r.app.inject({ method: 'POST', url: '/v1/nodes/heartbeat', headers: auth(node.token), payload: { name: node.name, cpu: 0.2 } });
      const res = await r.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /^xplane_nodes\{service="svc-plus",region="jp",state="warm"\} 1$/m);
      assert.match(res.body, /^xplane_nodes\{service="svc-plus",region="jp",state="active"\} 0$/m);
      assert.match(res.body, /^xplane_heartbeats_total 1$/m);
      assert.match(res.body, /^xplane_leader 1$/m);
      for (const name of [
        'xplane_region_weight',
        'xplane_desired_nodes',
        'xplane_reconcile_duration_seconds',
        'xplane_decisions_total',
        'xplane_git_commits_total',
        'xplane_git_push_failures_total',
        'xplane_sync_last_success_timestamp_seconds',
        'xplane_config_valid',
      ]) {
        assert.match(res.body, new RegExp(`# TYPE ${name} `));
      }
    });

    it('answers unknown routes with 404 in the error shape', async () => {
      const res = await r.app.inject({ method: 'GET', url: '/v2/nothing' });
      assert.equal(res.statusCode, 404);
      assert.equal(errorOf(res).code, 'XP_ERR_NOT_FOUND');
    });
  });
});
