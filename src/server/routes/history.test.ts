// GET /v1/history through inject(): entries with from → to, filters, pages that
// never split a pass, the Link to the next page, and who may read it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import { MemoryStore, type DecisionRecord } from '../../store/index.js';
import { buildApp } from '../app.js';
import { historyPage } from './history.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };
const ADMIN = { authorization: `Bearer ${TOKENS.admin}` };
const NOW = Date.parse('2026-11-22T01:00:00.000Z');

function decision(at: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    at,
    controller: 'gtm',
    service: 'svc-plus',
    region: 'sg',
    kind: 'weight',
    summary: 'gtm: svc-plus sg weight 10→0 (ready 0 < min 1)',
    why: { ready: 0, min: 1, from: 10, to: 0, urgent: true },
    commit: 'c0ffee0000000000000000000000000000000000',
    ...over,
  };
}

describe('GET /v1/history', () => {
  let app: FastifyInstance;
  const store = new MemoryStore();

  before(async () => {
    const registry = new NodeRegistry({ store, log: silentLogger(), config: () => undefined });
    const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
    app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger(), decisions: (f) => store.listDecisions(f), now: () => NOW });
    const pass = NOW - 60_000;
    await store.appendDecisions([
      decision(NOW - 3 * 3_600_000, {
        controller: 'autoscale',
        region: 'jp',
        kind: 'scale_up',
        summary: 'autoscale: svc-plus jp 1→2 (cpu=0.82)',
        why: { cpu: 0.82, from: 1, to: 2, added: 'jp-svc-plus-2' },
      }),
      decision(pass, { kind: 'exclude', summary: 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)', why: { node: 'sg-svc-plus-1', state: 'down' } }),
      decision(pass),
      decision(NOW - 1_000, {
        controller: 'autoscale',
        kind: 'replace',
        summary: 'autoscale: svc-plus sg replace sg-svc-plus-1 → sg-svc-plus-2 (down 5m20s)',
        why: { node: 'sg-svc-plus-1', replacement: 'sg-svc-plus-2', down_ms: 320_000 },
      }),
    ]);
  });

  after(async () => {
    await app.close();
  });

  it('answers the decisions newest first, each with what changed from and to', async () => {
    const res = await app.inject({ url: '/v1/history', headers: ADMIN });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ at: string; kind: string; from: unknown; to: unknown; commit: string; summary: string; controller: string }[]>();
    assert.deepEqual(
      body.map((e) => [e.kind, e.from, e.to]),
      [
        ['replace', 'sg-svc-plus-1', 'sg-svc-plus-2'],
        ['weight', 10, 0],
        ['exclude', null, 'sg-svc-plus-1'],
        ['scale_up', 1, 2],
      ],
    );
    const weight = body.find((e) => e.kind === 'weight');
    assert.equal(weight?.at, new Date(NOW - 60_000).toISOString());
    assert.equal(weight.commit, 'c0ffee0000000000000000000000000000000000');
    assert.equal(weight.controller, 'gtm');
    assert.equal(res.headers.link, undefined, 'one page holds them all');
  });

  it('filters by service, region and since (a duration back from now or an ISO time)', async () => {
    const kinds = async (query: string) => (await app.inject({ url: `/v1/history?${query}`, headers: ADMIN })).json<{ kind: string }[]>().map((e) => e.kind);
    assert.deepEqual(await kinds('region=jp'), ['scale_up']);
    assert.deepEqual(await kinds('service=other'), []);
    assert.deepEqual(await kinds('since=1h'), ['replace', 'weight', 'exclude']);
    assert.deepEqual(await kinds(`since=${new Date(NOW - 2_000).toISOString()}`), ['replace']);
    assert.deepEqual(await kinds('region=sg&since=2m'), ['replace', 'weight', 'exclude']);
  });

  it('pages without splitting one pass: a Link names the next page, which ends before the oldest time shown', async () => {
    const first = await app.inject({ url: '/v1/history?limit=2', headers: ADMIN });
    // The second and third decisions share one pass's time: the page stops before them rather than split them.
    assert.deepEqual(
      first.json<{ kind: string }[]>().map((e) => e.kind),
      ['replace'],
    );
    const link = String(first.headers.link);
    assert.match(link, /^<\/v1\/history\?before=2026-11-22T00%3A59%3A59\.000Z&limit=2>; rel="next"$/);
    const next = await app.inject({ url: /^<([^>]+)>/.exec(link)?.[1] ?? '', headers: ADMIN });
    assert.deepEqual(
      next.json<{ kind: string }[]>().map((e) => e.kind),
      ['weight', 'exclude'],
    );
    const last = await app.inject({ url: /^<([^>]+)>/.exec(String(next.headers.link))?.[1] ?? '', headers: ADMIN });
    assert.deepEqual(
      last.json<{ kind: string }[]>().map((e) => e.kind),
      ['scale_up'],
    );
    assert.equal(last.headers.link, undefined);
  });

  it('refuses bad input with the field named, and tokens other than the admin’s', async () => {
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['before=12', 'before'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['sort=asc', 'sort'],
    ] as const) {
      const res = await app.inject({ url: `/v1/history?${query}`, headers: ADMIN });
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json<{ error: { field: string } }>().error.field, field, query);
    }
    assert.equal((await app.inject({ url: '/v1/history' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/v1/history', headers: { authorization: `Bearer ${TOKENS.bootstrap}` } })).statusCode, 403);
  });
});

describe('historyPage', () => {
  it('gives a pass that alone fills more than a page whole, and the next page ends before it', async () => {
    const store = new MemoryStore();
    await store.appendDecisions([decision(1), decision(5), decision(5), decision(5)]);
    const { page, next } = await historyPage((f) => store.listDecisions(f), {}, 2);
    assert.deepEqual(
      page.map((d) => d.at),
      [5, 5, 5],
    );
    assert.equal(next, 5);
    assert.deepEqual(
      (await historyPage((f) => store.listDecisions(f), { before: 5 }, 2)).page.map((d) => d.at),
      [1],
    );
  });
});
