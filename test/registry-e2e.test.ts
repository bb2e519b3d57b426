// The node registry end to end, as a user runs it: a real `xplane serve`
// process, two real `xplane agent` processes on their own loopback
// addresses, the active prober, and /metrics.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, makeGitFixture, type GitFixture } from '../src/testing/index.js';
import { freePort, startServe, type ServeProcess } from './helpers/serve.js';

const BOOTSTRAP = 'e2e-bootstrap';
const ADMIN = 'e2e-admin';
const INTERVAL_MS = 400;
const FALL = 3;

interface NodeRow {
  name: string;
  region: string;
  state: string;
  cpu: number | null;
}

function agent(serverUrl: string, region: string, address: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin/xplane.js'), 'agent', '--server', serverUrl, '--service', 'svc-plus', '--region', region, '--address', address, '--json'],
    { env: { ...process.env, XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

async function nodes(serve: ServeProcess): Promise<NodeRow[]> {
  const res = await fetch(`${serve.url}/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as NodeRow[];
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('node registry end to end', () => {
  let fixture: GitFixture;
  let state: string;
  let serve: ServeProcess;
  let port: number;
  const agents: ChildProcess[] = [];

  before(async () => {
    fixture = makeGitFixture();
    port = await freePort();
    const gtm = 'platform-config/gtm/svc-plus.yaml';
    fixture.commit(
      {
        [gtm]: fixture
          .read(gtm)
          .replace(/port: \d+/, `port: ${port}`)
          .replace(/interval: \S+/, `interval: ${INTERVAL_MS}ms`)
          .replace(/timeout: \S+/, 'timeout: 300ms'),
      },
      'e2e: fast health checks',
    );
    state = mkdtempSync(join(tmpdir(), 'xplane-e2e-'));
    serve = await startServe(['--repo', fixture.bare, '--db', join(state, 'x.db'), '--workdir', join(state, 'work')], {
      XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      XPLANE_ADMIN_TOKEN: ADMIN,
      XPLANE_LOG_LEVEL: 'warn',
    });
  });

  after(async () => {
    for (const a of agents) a.kill('SIGKILL');
    // before() may have stopped before assigning them.
    await (serve as ServeProcess | undefined)?.stop();
    (fixture as GitFixture | undefined)?.cleanup();
    rmSync(state, { recursive: true, force: true });
  });

  it('takes two agents warm → active, marks a killed one down within fall × interval, and drains one on SIGTERM', async () => {
    agents.push(agent(serve.url, 'jp', `127.0.0.2:${port}`), agent(serve.url, 'sg', `127.0.0.3:${port}`));
    const seenWarm = await until('two registered nodes', async () => {
      const list = await nodes(serve);
      return list.length === 2 ? list : undefined;
    });
    assert.deepEqual(seenWarm.map((n) => n.name).sort(), ['jp-svc-plus-1', 'sg-svc-plus-1']);
    await until('both active', async () => ((await nodes(serve)).every((n) => n.state === 'active') ? true : undefined));

    // kill -9: no drain, no goodbye. The prober's refused connection or the heartbeat timeout must notice.
    const killedAt = Date.now();
    agents[0]?.kill('SIGKILL');
    await until('jp down', async () => ((await nodes(serve)).find((n) => n.name === 'jp-svc-plus-1')?.state === 'down' ? true : undefined));
    const detectMs = Date.now() - killedAt;
    console.log(`# killed node marked down after ${detectMs} ms (fall × interval = ${FALL * INTERVAL_MS} ms)`);
    assert.ok(detectMs <= FALL * INTERVAL_MS + 500, `down after ${detectMs} ms`);

    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    assert.match(metrics, /^xplane_nodes\{service="svc-plus",region="jp",state="down"\} 1$/m);
    assert.match(metrics, /^xplane_nodes\{service="svc-plus",region="sg",state="active"\} 1$/m);
    assert.match(metrics, /^xplane_heartbeats_total [1-9]\d*$/m);
    assert.match(metrics, /^xplane_config_valid 1$/m);

    agents[1]?.kill('SIGTERM');
    assert.equal(await exited(agents[1] as ChildProcess), 0);
    const sg = (await nodes(serve)).find((n) => n.name === 'sg-svc-plus-1');
    assert.equal(sg?.state, 'drain');
  });
});
