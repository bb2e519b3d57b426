// POST /v1/hooks/git (HMAC) and GET /v1/services/:service through inject().
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { silentLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import type { ServiceStatusView } from '../../reconcile/index.js';
import { MemoryStore } from '../../store/index.js';
import { buildApp } from '../app.js';

const TOKENS = { bootstrap: 'b', admin: 'a' };

async function app(options: { secret?: string; status?: ServiceStatusView } = {}) {
  const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => undefined });
  const metrics = new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  let triggered = 0;
  const built = await buildApp({
    registry,
    metrics,
    tokens: TOKENS,
    log: silentLogger(),
    webhook: { secret: options.secret, trigger: () => (triggered += 1) },
    serviceStatus: async (service) => (service === options.status?.service ? options.status : undefined),
  });
  return { app: built, triggered: () => triggered };
}

const sign = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('POST /v1/hooks/git', () => {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc' });

  it('triggers a sync and answers 202 for a correctly signed body', async () => {
    const { app: a, triggered } = await app({ secret: 's3cret' });
    const res = await a.inject({
      method: 'POST',
      url: '/v1/hooks/git',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign('s3cret', body) },
      payload: body,
    });
    assert.equal(res.statusCode, 202);
    assert.equal(triggered(), 1);
  });

  it('refuses a wrong or missing signature with 401 and triggers nothing', async () => {
    const { app: a, triggered } = await app({ secret: 's3cret' });
    for (const header of [sign('other', body), 'sha256=00', undefined]) {
      const res = await a.inject({
        method: 'POST',
        url: '/v1/hooks/git',
        headers: { 'content-type': 'application/json', ...(header ? { 'x-hub-signature-256': header } : {}) },
        payload: body,
      });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'XP_ERR_UNAUTHORIZED');
    }
    assert.equal(triggered(), 0);
  });

  it('checks the signature over the exact bytes, whatever the content type', async () => {
    const { app: a, triggered } = await app({ secret: 's3cret' });
    const form = 'payload=%7B%22ref%22%3A%22x%22%7D';
    const res = await a.inject({
      method: 'POST',
      url: '/v1/hooks/git',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': sign('s3cret', form) },
      payload: form,
    });
    assert.equal(res.statusCode, 202);
    assert.equal(triggered(), 1);
  });

  it('answers 403 when no secret is configured', async () => {
    const { app: a } = await app();
    const res = await a.inject({ method: 'POST', url: '/v1/hooks/git', headers: { 'content-type': 'application/json' }, payload: body });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /XPLANE_WEBHOOK_SECRET/);
  });
});

describe('GET /v1/services/:service', () => {
  const status: ServiceStatusView = { service: 'svc-plus', configCommit: 'abc', alert: null, frozen: null, lastPass: null, regions: {} };

  it('answers the status of a declared service to the admin', async () => {
    const { app: a } = await app({ status });
    const res = await a.inject({ method: 'GET', url: '/v1/services/svc-plus', headers: { authorization: 'Bearer a' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), status);
  });

  it('answers 404 for an undeclared service and 403 to a non-admin token', async () => {
    const { app: a } = await app({ status });
    assert.equal((await a.inject({ method: 'GET', url: '/v1/services/nope', headers: { authorization: 'Bearer a' } })).statusCode, 404);
    assert.equal((await a.inject({ method: 'GET', url: '/v1/services/svc-plus', headers: { authorization: 'Bearer b' } })).statusCode, 403);
  });
});
