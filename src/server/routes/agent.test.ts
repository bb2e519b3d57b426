// GET /v1/agent/xplane-agent.mjs through inject(): the bundle's bytes, its
// SHA-256 as the ETag, 304 for a node that has it, 503 while it is not built,
// served by a replica that does not lead too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import { MemoryStore } from '../../store/index.js';
import { buildApp } from '../app.js';
import type { ForwardOptions } from '../forward.js';

const dir = mkdtempSync(join(tmpdir(), 'xplane-agent-route-'));
const bundle = join(dir, 'xplane-agent.mjs');
const BYTES = '// xplane-agent test\nconsole.log("hi");\n';
writeFileSync(bundle, BYTES);
const SHA = createHash('sha256').update(BYTES).digest('hex');

function app(agentBundle: string, forward?: ForwardOptions) {
  const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => undefined });
  const metrics = new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  return buildApp({ registry, metrics, tokens: { bootstrap: 'b', admin: 'a' }, log: silentLogger(), agentBundle, ...(forward ? { forward } : {}) });
}

describe('GET /v1/agent/xplane-agent.mjs', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the bundle to anyone, with its SHA-256 in hex as the ETag', async () => {
    const res = await (await app(bundle)).inject({ method: 'GET', url: '/v1/agent/xplane-agent.mjs' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, BYTES);
    assert.equal(res.headers.etag, `"${SHA}"`);
    assert.match(String(res.headers['content-type']), /^text\/javascript/);
  });

  it('answers 304 to a node that already has this one', async () => {
    const res = await (await app(bundle)).inject({ method: 'GET', url: '/v1/agent/xplane-agent.mjs', headers: { 'if-none-match': `"${SHA}"` } });
    assert.equal(res.statusCode, 304);
    assert.equal(res.body, '');
    const other = await (await app(bundle)).inject({ method: 'GET', url: '/v1/agent/xplane-agent.mjs', headers: { 'if-none-match': '"0000"' } });
    assert.equal(other.statusCode, 200);
  });

  it('says what to do while the bundle is not built', async () => {
    const res = await (await app(join(dir, 'missing.mjs'))).inject({ method: 'GET', url: '/v1/agent/xplane-agent.mjs' });
    assert.equal(res.statusCode, 503);
    assert.match(res.json<{ error: { message: string } }>().error.message, /npm run build/);
  });

  it('is served by a replica that does not lead, not forwarded', async () => {
    const forward: ForwardOptions = {
      target: () => ({ kind: 'none', reason: 'electing' }),
      replicaId: 'r1',
      replicaSecret: 'a',
      onLeaderGone: () => undefined,
    };
    const a = await app(bundle, forward);
    assert.equal((await a.inject({ method: 'GET', url: '/v1/agent/xplane-agent.mjs' })).statusCode, 200);
    assert.equal(
      (await a.inject({ method: 'GET', url: '/v1/nodes', headers: { authorization: 'Bearer a' } })).statusCode,
      503,
      'other /v1 routes still wait for a leader',
    );
  });
});
