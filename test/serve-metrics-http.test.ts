// A real `xplane serve` on loopback, checked by independent clients: its
// /metrics piped through the real `promtool check metrics` (contract §7), the
// series it must carry after real traffic, `Expect: 100-continue` over a bare
// socket (a bad token is refused before `100 Continue`, so the body is never
// sent), and 415 for a body it does not parse (contract §5, docs/api.md).
// Without promtool the promtool check skips, except under CI (env CI set):
// there it fails.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, makeGitFixture, rawExchange, type GitFixture } from '../src/testing/index.js';
import { leaderGauge, startServe, type ServeProcess } from './helpers/serve.js';

const BOOTSTRAP = 'wire-bootstrap';
const ADMIN = 'wire-admin';
const WEBHOOK_SECRET = 'wire-hook-secret';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const promtoolVersion = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (promtoolVersion.error && process.env.CI) {
  throw new Error(`CI must provide promtool (Debian package prometheus) for the metrics check: ${promtoolVersion.error.message}`, {
    cause: promtoolVersion.error,
  });
}
const noPromtool = promtoolVersion.error ? 'no promtool here (Debian package prometheus)' : false;

/** `promtool check metrics` over `text` on stdin: its exit code and everything it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** Every value the route label may take: the API's route templates and the one label of requests no route matched. */
const ROUTE_LABELS = new Set([
  '/v1/nodes/register',
  '/v1/nodes/heartbeat',
  '/v1/nodes/drain',
  '/v1/nodes',
  '/v1/services/:service',
  '/v1/hooks/git',
  '/v1/agent/xplane-agent.mjs',
  '/v1/history',
  '/v1/config',
  '/ui',
  '/ui/',
  '/ui/:file',
  '/ui/session',
  '/ui/login',
  '/ui/logout',
  '/healthz',
  '/readyz',
  '/metrics',
  'unmatched',
]);

const REGISTRATION = JSON.stringify({ service: 'svc-plus', region: 'jp', address: '127.0.0.9:8080' });

/** Request line and headers of a request that expects `100 Continue` before it sends `body`. */
function expecting(method: string, path: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ host: 'xplane', ...headers, 'content-length': String(Buffer.byteLength(body)), expect: '100-continue' });
  return `${method} ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

describe('xplane serve on the wire: metrics, Expect: 100-continue and content types', () => {
  let fixture: GitFixture;
  let state: string;
  let serve: ServeProcess;
  let port: number;

  const metricsText = async (): Promise<string> => {
    const res = await fetch(`${serve.url}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };

  before(async () => {
    fixture = makeGitFixture();
    state = mkdtempSync(join(tmpdir(), 'xplane-wire-'));
    serve = await startServe(['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work')], {
      XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      XPLANE_ADMIN_TOKEN: ADMIN,
      XPLANE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    port = Number(new URL(serve.url).port);
    // Node tokens are known on the leader: a lone replica leads within a moment of being ready.
    for (let i = 0; i < 100 && (await leaderGauge(serve)) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await leaderGauge(serve), 1, 'the lone replica leads');
  });

  after(async () => {
    await (serve as ServeProcess | undefined)?.stop();
    (fixture as GitFixture | undefined)?.cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('serves /metrics that `promtool check metrics` passes without a word', { skip: noPromtool }, async () => {
    // Traffic first, so the labelled series (request durations by route and status) are in what promtool reads.
    await fetch(`${serve.url}/v1/services/svc-plus`, { headers: { authorization: `Bearer ${ADMIN}` } });
    await fetch(`${serve.url}/no/such/route`);
    const text = await metricsText();
    assert.match(text, /^nodejs_heap_size_used_bytes /m, "Node's default metrics are served");
    assert.match(text, /^nodejs_active_handles\{type="[^"]+"\} \d+/m, 'the active handles by type stay');
    const { code, output } = await promtoolCheck(text);
    assert.equal(output, '', 'promtool reports nothing');
    assert.equal(code, 0);
  });

  it('labels request durations by route template, never the URL sent, beside build info and DNS queries by rcode', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    assert.equal((await fetch(`${serve.url}/v1/services/svc-plus`, { headers: admin })).status, 200);
    assert.equal((await fetch(`${serve.url}/v1/services/undeclared-x7`, { headers: admin })).status, 404);
    assert.equal((await fetch(`${serve.url}/wp-login.php?probe=q8`)).status, 404);
    assert.equal((await fetch(`${serve.url}/v1/nodes/scan-z9`, { method: 'DELETE' })).status, 404);
    const text = await metricsText();

    assert.match(text, /^# TYPE xplane_build_info gauge$/m);
    assert.match(text, new RegExp(`^xplane_build_info\\{version="${VERSION.replaceAll('.', '\\.')}"\\} 1$`, 'm'));

    assert.match(text, /^# TYPE xplane_http_request_duration_seconds histogram$/m);
    const count = (route: string, method: string, status: number): number => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`xplane_http_request_duration_seconds_count{route="${route}",method="${method}",status="${status}"} `));
      return Number(line?.split(' ')[1] ?? 0);
    };
    assert.ok(count('/v1/services/:service', 'GET', 200) >= 1, 'a served request counts under its route template');
    assert.ok(count('/v1/services/:service', 'GET', 404) >= 1, "a matched route's 404 keeps the template");
    assert.ok(count('unmatched', 'GET', 404) >= 1, 'a URL no route matches counts under one label');
    assert.ok(count('unmatched', 'DELETE', 404) >= 1);
    assert.match(text, /^xplane_http_request_duration_seconds_bucket\{le="0\.005",route="\/v1\/services\/:service",method="GET",status="200"\} \d+$/m);
    const routes = new Set([...text.matchAll(/\broute="([^"]*)"/g)].map((m) => m[1]));
    for (const route of routes) assert.ok(ROUTE_LABELS.has(route ?? ''), `route label ${route} is a route template or "unmatched"`);
    for (const raw of ['undeclared-x7', 'wp-login', 'scan-z9', 'probe=q8']) assert.ok(!text.includes(raw), `no label carries the URL sent (${raw})`);

    assert.match(text, /^# TYPE xplane_dns_queries_total counter$/m);
    for (const rcode of ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'BADVERS']) {
      assert.match(text, new RegExp(`^xplane_dns_queries_total\\{rcode="${rcode}"\\} \\d+$`, 'm'));
    }
  });

  it('answers 401 to Expect: 100-continue with a bad token before any 100 Continue, so the body is never sent', async () => {
    const answer = await rawExchange(
      port,
      expecting('POST', '/v1/nodes/register', { authorization: 'Bearer not-a-token', 'content-type': 'application/json' }, REGISTRATION),
      REGISTRATION,
    );
    assert.equal(answer.statusLines[0], 'HTTP/1.1 401 Unauthorized');
    assert.equal(answer.bodySent, false);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'XP_ERR_UNAUTHORIZED');
    assert.equal(answer.headers.connection, 'close');
    assert.equal(answer.closed, true, 'the connection closes, so a body sent anyway is not read as a request');
  });

  it('refuses before 100 Continue on every route that takes a token or a signature: 401 unknown, 403 the wrong kind', async () => {
    const reg = await fetch(`${serve.url}/v1/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'svc-plus', region: 'sg', address: '127.0.0.10:8080' }),
    });
    assert.equal(reg.status, 201);
    const { name, token: nodeToken } = (await reg.json()) as { name: string; token: string };
    const json = (token: string | undefined): Record<string, string> => ({
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      'content-type': 'application/json',
    });
    const cases: { what: string; method: string; path: string; headers: Record<string, string>; body: string; status: number }[] = [
      { what: 'register without a token', method: 'POST', path: '/v1/nodes/register', headers: json(undefined), body: REGISTRATION, status: 401 },
      { what: 'register with a node token', method: 'POST', path: '/v1/nodes/register', headers: json(nodeToken), body: REGISTRATION, status: 403 },
      { what: 'register with the admin token', method: 'POST', path: '/v1/nodes/register', headers: json(ADMIN), body: REGISTRATION, status: 403 },
      {
        what: 'a heartbeat with the bootstrap token',
        method: 'POST',
        path: '/v1/nodes/heartbeat',
        headers: json(BOOTSTRAP),
        body: JSON.stringify({ name, cpu: 0.5 }),
        status: 401,
      },
      {
        what: 'a drain with the bootstrap token',
        method: 'POST',
        path: '/v1/nodes/drain',
        headers: json(BOOTSTRAP),
        body: JSON.stringify({ name }),
        status: 403,
      },
      { what: 'a drain with a junk token', method: 'POST', path: '/v1/nodes/drain', headers: json('junk'), body: JSON.stringify({ name }), status: 401 },
      { what: 'the node list with a node token', method: 'GET', path: '/v1/nodes', headers: json(nodeToken), body: '', status: 403 },
      {
        what: 'a service status with Basic auth',
        method: 'GET',
        path: '/v1/services/svc-plus',
        headers: { authorization: 'Basic YTpi' },
        body: '',
        status: 401,
      },
      {
        what: 'a webhook without a signature',
        method: 'POST',
        path: '/v1/hooks/git',
        headers: { 'content-type': 'application/json' },
        body: '{"ref":"x"}',
        status: 401,
      },
      {
        what: 'a webhook with a short signature',
        method: 'POST',
        path: '/v1/hooks/git',
        headers: { 'x-hub-signature-256': 'sha256=00' },
        body: '{"ref":"x"}',
        status: 401,
      },
    ];
    for (const c of cases) {
      const answer = await rawExchange(port, expecting(c.method, c.path, c.headers, c.body), c.body);
      assert.match(answer.statusLines[0] ?? '', new RegExp(`^HTTP/1\\.1 ${c.status} `), `${c.what}: ${JSON.stringify(answer.statusLines)}`);
      assert.equal(answer.bodySent, false, c.what);
      assert.match((JSON.parse(answer.body) as { error: { code: string } }).error.code, /^XP_ERR_(UNAUTHORIZED|FORBIDDEN)$/, c.what);
    }
    assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
  });

  it('sends 100 Continue to a good token, then the real answer', async () => {
    const answer = await rawExchange(
      port,
      expecting('POST', '/v1/nodes/register', { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, REGISTRATION),
      REGISTRATION,
    );
    assert.deepEqual(answer.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 201 Created']);
    assert.equal(answer.bodySent, true);
    const { name, token } = JSON.parse(answer.body) as { name: string; token: string };
    assert.match(name, /^jp-svc-plus-\d+$/);

    const beat = JSON.stringify({ name, cpu: 0.3 });
    const heartbeat = await rawExchange(
      port,
      expecting('POST', '/v1/nodes/heartbeat', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, beat),
      beat,
    );
    assert.deepEqual(heartbeat.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);

    // A route anyone may call continues as it always did.
    const health = await rawExchange(port, expecting('GET', '/healthz', {}, ''));
    assert.deepEqual(health.statusLines, ['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
  });

  it('survives clients that hang up while waiting for 100 Continue', async () => {
    for (const token of ['junk', BOOTSTRAP]) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end(expecting('POST', '/v1/nodes/register', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, REGISTRATION));
          socket.destroy();
          resolve();
        });
        socket.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await fetch(`${serve.url}/healthz`)).status, 200);
    assert.equal(serve.child.exitCode, null, 'the server is still running');
  });

  it('answers 415 in the error shape to a text/plain body, and the webhook still takes a signed text/plain one', async () => {
    const res = await fetch(`${serve.url}/v1/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'text/plain' },
      body: REGISTRATION,
    });
    assert.equal(res.status, 415);
    assert.deepEqual(await res.json(), { error: { code: 'XP_ERR_BAD_REQUEST', message: 'send the body as application/json', field: 'body' } });

    const payload = '{"ref":"refs/heads/main"}';
    const hook = await fetch(`${serve.url}/v1/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(payload).digest('hex')}` },
      body: payload,
    });
    assert.equal(hook.status, 202);
  });
});
