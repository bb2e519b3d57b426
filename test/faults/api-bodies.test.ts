// Fault: whatever a client sends to a real listening server — arbitrary JSON,
// bytes that are not JSON, the wrong content type, bodies too large or too
// deep, prototype-pollution keys, names every JS object carries — the server
// never answers 5xx, every error has the one shape (a field named for 400s),
// a rejected request changes nothing, and /healthz still answers.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { ConfigInForce } from '../../src/gitops/index.js';
import { silentLogger } from '../../src/log/index.js';
import { Metrics } from '../../src/metrics/index.js';
import { NodeRegistry } from '../../src/nodes/index.js';
import { ServiceStatus } from '../../src/reconcile/index.js';
import { buildApp } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { seedDeclarations } from '../../src/testing/index.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const WEBHOOK_SECRET = 'hook-secret';
const BODY_LIMIT = 16 * 1024;
const VALID = {
  register: { service: 'svc-plus', region: 'jp', address: '127.0.0.7:8080' },
  heartbeat: { name: 'jp-svc-plus-1', cpu: 0.4, qps: 10 },
  drain: { name: 'jp-svc-plus-2' },
};
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

type TokenKind = 'bootstrap' | 'admin' | 'node' | 'other-node' | 'junk' | 'none' | 'not-bearer';

/** One request as sent on the wire. */
interface Probe {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Uint8Array | undefined;
  token: TokenKind;
  /** Sign the body as the git host would (only the webhook looks). */
  signed: boolean;
}

interface Rig {
  app: FastifyInstance;
  url: string;
  registry: NodeRegistry;
  nodeTokens: string[];
  hooks: () => number;
}

async function rig(): Promise<Rig> {
  const store = new MemoryStore();
  // JSON round trip: the config in force comes out of the store as parsed JSON, with prototypes.
  const seed = await seedDeclarations();
  await store.putSnapshot({ commit: 'c0ffee'.padEnd(40, '0'), declarations: JSON.parse(JSON.stringify(seed)) as typeof seed, storedAt: 1 });
  const inForce = new ConfigInForce(store);
  await inForce.refresh();
  const registry = new NodeRegistry({ store, log: silentLogger(), config: () => inForce.declarations });
  const status = new ServiceStatus({ store, inForce, registry, reconciler: null });
  const metrics = new Metrics(
    { nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => true },
    { defaultMetrics: false },
  );
  let hooks = 0;
  const app = await buildApp({
    registry,
    metrics,
    tokens: TOKENS,
    log: silentLogger(),
    bodyLimit: BODY_LIMIT,
    registerPerMinute: 1_000_000,
    serviceStatus: (service) => status.get(service),
    webhook: { secret: WEBHOOK_SECRET, trigger: () => (hooks += 1) },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const nodeTokens = [
    registry.register({ service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' }).token,
    registry.register({ service: 'svc-plus', region: 'jp', address: '127.0.0.3:8080' }).token,
  ];
  return { app, url, registry, nodeTokens, hooks: () => hooks };
}

/** Everything a rejected request must leave as it was. */
function stateOf(r: Rig): string {
  return JSON.stringify({
    nodes: r.registry.records({}),
    beats: r.registry.heartbeatCount,
    hooks: r.hooks(),
    tokens: r.nodeTokens.map((t) => r.registry.isNodeToken(t)),
  });
}

function authorization(r: Rig, kind: TokenKind): Record<string, string> {
  switch (kind) {
    case 'bootstrap':
      return { authorization: `Bearer ${TOKENS.bootstrap}` };
    case 'admin':
      return { authorization: `Bearer ${TOKENS.admin}` };
    case 'node':
      return { authorization: `Bearer ${r.nodeTokens[0]}` };
    case 'other-node':
      return { authorization: `Bearer ${r.nodeTokens[1]}` };
    case 'junk':
      return { authorization: 'Bearer not-a-token' };
    case 'not-bearer':
      return { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` };
    case 'none':
      return {};
  }
}

async function send(r: Rig, p: Probe): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...authorization(r, p.token) };
  if (p.contentType !== undefined) headers['content-type'] = p.contentType;
  const noBody = p.method === 'GET' || p.method === 'HEAD';
  if (p.signed && p.body) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(p.body).digest('hex')}`;
  const res = await fetch(`${r.url}${p.path}`, { method: p.method, headers, body: noBody ? undefined : p.body });
  return { status: res.status, text: await res.text() };
}

/** The properties every answer has; `before` is the state the request found. */
async function check(r: Rig, p: Probe, answer: { status: number; text: string }, before: string): Promise<void> {
  const what = `${p.method} ${p.path} [${p.contentType ?? 'no content type'}] ${p.token}: ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status < 500, what);
  if (answer.status < 400) return;
  if (p.method !== 'HEAD') {
    let body: { error?: { code?: unknown; message?: unknown; field?: unknown } };
    try {
      body = JSON.parse(answer.text) as typeof body;
    } catch {
      assert.fail(`not JSON: ${what}`);
    }
    assert.deepEqual(Object.keys(body), ['error'], what);
    assert.match(String(body.error?.code), /^XP_ERR_[A-Z_]+$/, what);
    assert.ok(typeof body.error?.message === 'string' && body.error.message.length > 0, what);
    if (answer.status === 400) assert.ok(typeof body.error.field === 'string' && body.error.field.length > 0, `a 400 names a field: ${what}`);
  }
  assert.equal(stateOf(r), before, `a rejected request changed state: ${what}`);
}

const enc = (text: string): Uint8Array => Buffer.from(text, 'utf8');

// ---- generators ---------------------------------------------------------------

const ROUTES = ['/v1/nodes/register', '/v1/nodes/heartbeat', '/v1/nodes/drain', '/v1/nodes', '/v1/hooks/git'] as const;

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonp',
  'application/json-patch+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/octet-stream',
  '*/*',
  ';;;',
  '',
  undefined,
);

const protoKey = fc.constantFrom(...PROTO_NAMES);

/** A valid body with one thing changed: a value replaced, a key dropped or added, a name every object has. */
const mutatedBody = fc
  .tuple(
    fc.constantFrom(...(Object.keys(VALID) as (keyof typeof VALID)[])),
    fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({ kind: fc.constant('drop' as const) }),
      fc.record({ kind: fc.constant('add' as const), key: fc.oneof(protoKey, fc.string({ maxLength: 12 })), value: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ kind: fc.constant('proto-name' as const), name: protoKey }),
      fc.record({ kind: fc.constant('labels' as const), key: fc.oneof(protoKey, fc.string({ maxLength: 8 })), value: fc.jsonValue({ maxDepth: 2 }) }),
    ),
    fc.nat(),
  )
  .map(([route, change, pick]) => {
    const base: Record<string, unknown> = { ...VALID[route] };
    const keys = Object.keys(base);
    const key = keys[pick % keys.length] ?? 'name';
    // Written as JSON text by hand: JSON.stringify would never emit an own "__proto__" key.
    const member = (k: string, v: unknown): string => `${JSON.stringify(k)}:${(JSON.stringify(v) as string | undefined) ?? 'null'}`;
    let text: string;
    switch (change.kind) {
      case 'replace':
        base[key] = change.value;
        text = JSON.stringify(base);
        break;
      case 'drop':
        text = JSON.stringify(Object.fromEntries(Object.entries(base).filter(([k]) => k !== key)));
        break;
      case 'add':
        text = `{${[...Object.entries(base).map(([k, v]) => member(k, v)), member(change.key, change.value)].join(',')}}`;
        break;
      case 'proto-name':
        base[key] = change.name;
        text = JSON.stringify(base);
        break;
      case 'labels':
        text = `{${[...Object.entries(base).map(([k, v]) => member(k, v)), `"labels":{${member(change.key, change.value)}}`].join(',')}}`;
        break;
    }
    return { route: `/v1/nodes/${route}`, text };
  });

const pollution = fc.constantFrom(
  '{"__proto__":{"polluted":"yes"},"service":"svc-plus","region":"jp","address":"127.0.0.9"}',
  '{"constructor":{"prototype":{"polluted":"yes"}},"service":"svc-plus","region":"jp","address":"127.0.0.9"}',
  '{"service":"svc-plus","region":"jp","address":"127.0.0.9","labels":{"__proto__":{"polluted":"yes"}}}',
  '{"service":"svc-plus","region":"jp","address":"127.0.0.9","labels":{"constructor":{"prototype":{"polluted":"yes"}}}}',
  '{"name":"jp-svc-plus-1","cpu":0.5,"__proto__":{"cpu":2}}',
  '{"name":"__proto__","cpu":0.5}',
  '{"name":"constructor"}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"a":{"b":{"c":{"__proto__":{"polluted":"yes"}}}}}',
);

/** Deep nesting, built to stay under the body limit (or just over it). */
const deep = fc
  .tuple(fc.integer({ min: 50, max: 9_000 }), fc.boolean())
  .map(([depth, objects]) => (objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`));

const huge = fc.constantFrom(BODY_LIMIT + 1, 64 * 1024, 1024 * 1024 + 10).map((size) => JSON.stringify({ ...VALID.register, labels: { a: 'x'.repeat(size) } }));

const bodyText = fc.oneof(
  { weight: 3, arbitrary: mutatedBody.map((m) => m.text) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: pollution },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 50 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '0', '""', '{', '{"a":1}{"b":2}', '\u0000', '\uFEFF{}', '{"a":1,}', 'NaN') },
);

const body = fc.oneof({ weight: 6, arbitrary: bodyText.map(enc) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) });

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom('service', 'region', 'state', 'x', '__proto__', 'constructor'), fc.oneof(fc.string({ maxLength: 70 }), protoKey), {
        maxKeys: 3,
      })
      .map((q) => `/v1/nodes?${new URLSearchParams(q).toString()}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(protoKey, fc.string({ maxLength: 80 }), fc.constantFrom('svc-plus', 'svc-plus/x', '%zz', '..%2f..', '%00'))
      .map((s) => `/v1/services/${/%/.test(s) ? s : encodeURIComponent(s)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/nodes/register/',
      '/v1//nodes',
      '/v1/nodes/%E0%A4%A',
      '/__proto__',
      '/constructor',
      '/v1/nodes/register?__proto__[x]=1',
    ),
  },
);

const anyProbe: fc.Arbitrary<Probe> = fc.record({
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant('POST') },
    { weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  ),
  path,
  contentType,
  body: fc.option(body, { nil: undefined, freq: 10 }),
  token: fc.constantFrom<TokenKind>('bootstrap', 'admin', 'node', 'other-node', 'junk', 'none', 'not-bearer'),
  signed: fc.boolean(),
});

const TOKEN_OF: Record<string, TokenKind> = { '/v1/nodes/register': 'bootstrap', '/v1/nodes/heartbeat': 'node', '/v1/nodes/drain': 'admin' };

/** Requests that get past content type and auth, so the body itself is what is tested. */
const aimedProbe: fc.Arbitrary<Probe> = fc.oneof(
  mutatedBody.map((m) => ({
    method: 'POST',
    path: m.route,
    contentType: 'application/json',
    body: enc(m.text),
    token: TOKEN_OF[m.route] ?? 'admin',
    signed: false,
  })),
  fc.oneof(protoKey, fc.constantFrom('svc-plus', 'nope'), fc.string({ maxLength: 63 })).map((service) => ({
    method: 'GET',
    path: `/v1/services/${encodeURIComponent(service)}`,
    contentType: undefined,
    body: undefined,
    token: 'admin' as const,
    signed: false,
  })),
);

const probe = fc.oneof(anyProbe, aimedProbe);

// ---- tests --------------------------------------------------------------------

describe('fuzzed API bodies against a listening server', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(async () => {
    await r.app.close();
  });

  it('never answers 5xx, answers errors in one shape, and a rejected request changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(probe, { minLength: 1, maxLength: 4 }), async (probes) => {
        for (const p of probes) {
          const before = stateOf(r);
          await check(r, p, await send(r, p), before);
        }
        assert.equal((await fetch(`${r.url}/healthz`)).status, 200, 'the server still answers /healthz');
        assert.deepEqual(
          Object.getOwnPropertyNames(Object.prototype).filter((k) => k === 'polluted'),
          [],
        );
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
      }),
      { numRuns: 250 },
    );
  });

  const named: { name: string; probe: Omit<Probe, 'signed'> & { signed?: boolean }; status: number; field?: string }[] = [
    {
      name: 'a service named constructor',
      probe: {
        method: 'POST',
        path: '/v1/nodes/register',
        contentType: 'application/json',
        body: enc('{"service":"constructor","region":"jp","address":"127.0.0.9"}'),
        token: 'bootstrap',
      },
      status: 400,
      field: 'service',
    },
    {
      name: 'a region named constructor',
      probe: {
        method: 'POST',
        path: '/v1/nodes/register',
        contentType: 'application/json',
        body: enc('{"service":"svc-plus","region":"constructor","address":"127.0.0.9"}'),
        token: 'bootstrap',
      },
      status: 400,
      field: 'region',
    },
    {
      name: 'the status of a service named constructor',
      probe: { method: 'GET', path: '/v1/services/constructor', contentType: undefined, body: undefined, token: 'admin' },
      status: 404,
    },
    {
      name: 'the status of a service named __proto__',
      probe: { method: 'GET', path: '/v1/services/__proto__', contentType: undefined, body: undefined, token: 'admin' },
      status: 404,
    },
    {
      name: 'the status of a service named toString',
      probe: { method: 'GET', path: '/v1/services/toString', contentType: undefined, body: undefined, token: 'admin' },
      status: 404,
    },
    {
      name: 'a __proto__ key in a registration',
      probe: {
        method: 'POST',
        path: '/v1/nodes/register',
        contentType: 'application/json',
        body: enc('{"__proto__":{"admin":true},"service":"svc-plus","region":"jp","address":"127.0.0.9"}'),
        token: 'bootstrap',
      },
      status: 400,
      field: 'body',
    },
    {
      name: 'a constructor.prototype key in labels',
      probe: {
        method: 'POST',
        path: '/v1/nodes/register',
        contentType: 'application/json',
        body: enc('{"service":"svc-plus","region":"jp","address":"127.0.0.9","labels":{"constructor":{"prototype":{"x":1}}}}'),
        token: 'bootstrap',
      },
      status: 400,
      field: 'body',
    },
    {
      name: 'a text/plain registration',
      probe: { method: 'POST', path: '/v1/nodes/register', contentType: 'text/plain', body: enc(JSON.stringify(VALID.register)), token: 'bootstrap' },
      status: 415,
      field: 'body',
    },
    {
      name: 'an XML registration',
      probe: { method: 'POST', path: '/v1/nodes/register', contentType: 'application/xml', body: enc('<node/>'), token: 'bootstrap' },
      status: 415,
    },
    {
      name: 'a body over the limit',
      probe: {
        method: 'POST',
        path: '/v1/nodes/register',
        contentType: 'application/json',
        body: enc(JSON.stringify({ ...VALID.register, labels: { a: 'x'.repeat(BODY_LIMIT) } })),
        token: 'bootstrap',
      },
      status: 413,
    },
    {
      name: 'nesting 8000 deep',
      probe: {
        method: 'POST',
        path: '/v1/nodes/heartbeat',
        contentType: 'application/json',
        body: enc(`${'['.repeat(8_000)}${']'.repeat(8_000)}`),
        token: 'node',
      },
      status: 400,
      field: 'body',
    },
    {
      name: 'a webhook body over 1 MiB',
      probe: {
        method: 'POST',
        path: '/v1/hooks/git',
        contentType: 'application/octet-stream',
        body: new Uint8Array(1024 * 1024 + 1),
        token: 'none',
        signed: true,
      },
      status: 413,
    },
  ];
  for (const c of named) {
    it(`answers ${c.status} to ${c.name} and changes nothing`, async () => {
      const p: Probe = { signed: false, ...c.probe };
      const before = stateOf(r);
      const answer = await send(r, p);
      assert.equal(answer.status, c.status, answer.text);
      await check(r, p, answer, before);
      if (c.field) assert.equal((JSON.parse(answer.text) as { error: { field?: string } }).error.field, c.field);
    });
  }

  it('answers malformed HTTP in the same error shape and keeps serving', async () => {
    const address = r.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const raw = (text: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(text));
        let out = '';
        socket.on('data', (d: Buffer) => (out += d.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(out));
      });
    const cases: [string, number][] = [
      ['NOT HTTP AT ALL\r\n\r\n', 400],
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
      ['POST /v1/nodes/register HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}', 400],
      ['POST /v1/nodes/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ];
    for (const [text, status] of cases) {
      const before = stateOf(r);
      const out = await raw(text);
      assert.match(out, new RegExp(`^HTTP/1\\.1 ${status} `), JSON.stringify(out.slice(0, 200)));
      const json = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string; field?: string } };
      assert.match(json.error.code, /^XP_ERR_/);
      assert.ok(json.error.field, `names a field: ${out}`);
      assert.equal(stateOf(r), before);
    }
    assert.equal((await fetch(`${r.url}/healthz`)).status, 200);
  });
});
