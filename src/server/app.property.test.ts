// Property: no sequence of API calls, well-formed or not, makes the server
// answer 5xx or leaves the registry inconsistent.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Declarations } from '../config/index.js';
import { silentLogger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry } from '../nodes/index.js';
import { MemoryStore } from '../store/index.js';
import { seedDeclarations } from '../testing/index.js';
import { buildApp } from './app.js';

const TOKENS = { bootstrap: 'boot', admin: 'admin' };

type Op =
  | { op: 'register'; body: unknown; token: 'bootstrap' | 'admin' | 'junk' }
  | { op: 'heartbeat'; node: number; body: Record<string, unknown>; tokenOf: number | null }
  | { op: 'drain'; node: number; byAdmin: boolean }
  | { op: 'list'; query: string }
  | { op: 'raw'; method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload: string };

const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

const registerBody = fc.oneof(
  fc.record(
    {
      service: fc.constantFrom('svc-plus', 'svc-nope', ''),
      region: fc.constantFrom('jp', 'sg', 'us'),
      address: fc.constantFrom('127.0.0.2', '127.0.0.3:8080', '[::1]:8080', 'host.example', '999.1.1.1'),
      name: fc.option(fc.constantFrom('jp-svc-plus-1', 'jp-svc-plus-9', 'sg-svc-plus-2', 'bad'), { nil: undefined }),
      labels: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
    },
    { requiredKeys: ['service', 'region', 'address'] },
  ),
  fc.dictionary(fc.string({ maxLength: 10 }), junk, { maxKeys: 5 }),
  junk,
);

const heartbeatBody = fc.record(
  {
    cpu: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), junk),
    qps: fc.option(fc.oneof(fc.double({ min: -10, max: 1e6, noNaN: true }), junk), { nil: undefined }),
    errorRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    extra: fc.option(junk, { nil: undefined }),
  },
  { requiredKeys: [] },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('register' as const), body: registerBody, token: fc.constantFrom('bootstrap' as const, 'admin' as const, 'junk' as const) }),
  fc.record({ op: fc.constant('heartbeat' as const), node: fc.nat(5), body: heartbeatBody, tokenOf: fc.option(fc.nat(5), { nil: null }) }),
  fc.record({ op: fc.constant('drain' as const), node: fc.nat(5), byAdmin: fc.boolean() }),
  fc.record({ op: fc.constant('list' as const), query: fc.constantFrom('', '?state=active', '?state=nope', '?service=svc-plus&region=jp', '?x=1') }),
  fc.record({
    op: fc.constant('raw' as const),
    method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const, 'DELETE' as const),
    url: fc.constantFrom('/v1/nodes/register', '/v1/nodes/heartbeat', '/v1/nodes/drain', '/v1/nodes', '/metrics', '/%zz', '/v1/nodes/../x'),
    payload: fc.oneof(fc.string(), fc.json()),
  }),
);

describe('API property', () => {
  let seed: Declarations;
  before(async () => {
    seed = await seedDeclarations();
  });

  it('never answers 5xx and keeps the registry consistent under any sequence of calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => seed });
        const metrics = new Metrics(
          { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => true },
          { defaultMetrics: false },
        );
        const app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger(), registerPerMinute: 10_000 });
        const nodes: { name: string; token: string }[] = [];
        let accepted = 0;
        try {
          for (const o of ops) {
            let res;
            switch (o.op) {
              case 'register': {
                const token = o.token === 'bootstrap' ? TOKENS.bootstrap : o.token === 'admin' ? TOKENS.admin : 'junk';
                res = await app.inject({
                  method: 'POST',
                  url: '/v1/nodes/register',
                  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                  payload: JSON.stringify(o.body),
                });
                if (res.statusCode === 201) {
                  const body = res.json<{ name: string; token: string }>();
                  const i = nodes.findIndex((n) => n.name === body.name);
                  if (i >= 0) nodes[i] = body;
                  else nodes.push(body);
                }
                break;
              }
              case 'heartbeat': {
                const target = nodes[o.node % Math.max(nodes.length, 1)];
                const tokenNode = o.tokenOf === null ? target : nodes[o.tokenOf % Math.max(nodes.length, 1)];
                res = await app.inject({
                  method: 'POST',
                  url: '/v1/nodes/heartbeat',
                  headers: { authorization: `Bearer ${tokenNode?.token ?? 'none'}` },
                  payload: { name: target?.name ?? 'jp-svc-plus-1', ...o.body },
                });
                if (res.statusCode === 200) accepted += 1;
                break;
              }
              case 'drain': {
                const target = nodes[o.node % Math.max(nodes.length, 1)];
                res = await app.inject({
                  method: 'POST',
                  url: '/v1/nodes/drain',
                  headers: { authorization: `Bearer ${o.byAdmin ? TOKENS.admin : (target?.token ?? 'x')}` },
                  payload: { name: target?.name ?? 'x' },
                });
                break;
              }
              case 'list':
                res = await app.inject({ method: 'GET', url: `/v1/nodes${o.query}`, headers: { authorization: `Bearer ${TOKENS.admin}` } });
                break;
              case 'raw':
                res = await app.inject({ method: o.method, url: o.url, headers: { 'content-type': 'application/json' }, payload: o.payload });
                break;
            }
            assert.ok(res.statusCode < 500, `${o.op} answered ${res.statusCode}: ${res.body}`);
            if (res.statusCode >= 400) assert.ok(res.json<{ error?: { code?: string } }>().error?.code, `error shape: ${res.body}`);
          }
          const listed = registry.list();
          assert.equal(new Set(listed.map((n) => n.name)).size, listed.length);
          for (const n of listed) {
            assert.ok(['warm', 'active', 'drain', 'down'].includes(n.state));
            assert.match(n.name, new RegExp(`^${n.region}-${n.service}-[1-9][0-9]*$`));
          }
          for (const n of nodes) assert.equal(registry.isNodeToken(n.token), true, `the latest token of ${n.name} works`);
          assert.equal(registry.heartbeatCount, accepted);
        } finally {
          await app.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
