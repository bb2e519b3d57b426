// The status page's routes through inject(): its files with a CSP that allows
// only its own origin, the login that swaps the admin token for a session
// cookie, and the read-only admin routes that take the cookie.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import { MemoryStore } from '../../store/index.js';
import { buildApp } from '../app.js';

const TOKENS = { bootstrap: 'boot-secret', admin: 'admin-secret' };

describe('the status page routes', () => {
  let app: FastifyInstance;

  before(async () => {
    const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => undefined });
    const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
    app = await buildApp({ registry, metrics, tokens: TOKENS, log: silentLogger(), loginPerMinute: 5 });
  });

  after(async () => {
    await app.close();
  });

  async function login(token: string, headers: Record<string, string> = {}) {
    return app.inject({ method: 'POST', url: '/ui/login', headers: { 'content-type': 'application/json', ...headers }, payload: { token } });
  }

  it('serves the page and its files from the package with a CSP that allows only this origin', async () => {
    const page = await app.inject({ url: '/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<script src="\/ui\/app\.js" defer><\/script>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe|https?:/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
      ['favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const res = await app.inject({ url: `/ui/${file}` });
      assert.equal(res.statusCode, 200, file);
      assert.match(String(res.headers['content-type']), type);
    }
    assert.equal((await app.inject({ url: '/ui' })).headers.location, '/ui/');
    for (const path of ['/ui/..%2fpackage.json', '/ui/index.html.bak', '/ui/constructor'])
      assert.equal((await app.inject({ url: path })).statusCode, 404, path);
  });

  it('refuses a wrong token at login and sets no cookie', async () => {
    const res = await login('not-the-token');
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal((await login(TOKENS.bootstrap)).statusCode, 401, 'the bootstrap token is not the admin token');
  });

  it('swaps the admin token for an HttpOnly, SameSite=Strict session cookie that does not carry it', async () => {
    const res = await login(TOKENS.admin);
    assert.equal(res.statusCode, 204);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /^xplane_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.ok(!cookie.includes(TOKENS.admin));
    const session = cookie.split(';')[0] ?? '';
    const asked = await app.inject({ url: '/ui/session', headers: { cookie: session } });
    assert.deepEqual(asked.json(), { authenticated: true });
    assert.deepEqual((await app.inject({ url: '/ui/session' })).json(), { authenticated: false });

    // The read-only admin routes take it; the ones that change something do not.
    for (const url of ['/v1/nodes', '/v1/history', '/v1/config']) assert.equal((await app.inject({ url, headers: { cookie: session } })).statusCode, 200, url);
    assert.equal((await app.inject({ url: '/v1/nodes' })).statusCode, 401);
    const drain = await app.inject({ method: 'POST', url: '/v1/nodes/drain', headers: { cookie: session }, payload: { name: 'jp-svc-plus-1' } });
    assert.equal(drain.statusCode, 401);
  });

  it('refuses a login posted from another site', async () => {
    const res = await login(TOKENS.admin, { origin: 'https://evil.example', host: 'localhost:80' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('clears the cookie at logout', async () => {
    const res = await app.inject({ method: 'POST', url: '/ui/logout' });
    assert.equal(res.statusCode, 204);
    assert.match(String(res.headers['set-cookie']), /^xplane_session=; .*Max-Age=0/);
  });

  it('limits login attempts per client address', async () => {
    let last = 0;
    for (let i = 0; i < 6; i += 1) last = (await login('guess')).statusCode;
    assert.equal(last, 429);
  });
});
