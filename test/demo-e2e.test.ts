// The playground end to end with the real Pulumi engine: `xplane demo`
// seeds its repo, converges the local target (real agent processes on
// loopback addresses), serves DNS; a killed node leaves the DNS answers
// within the probe's detection time, without a commit or a converge; Ctrl-C
// removes the nodes.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { queryDns, RRType } from '../src/dns/index.js';
import { REPO_ROOT } from '../src/testing/index.js';
import { freePort } from './helpers/serve.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the end-to-end tests: ${(err as Error).message}`, { cause: err });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('xplane demo', { skip: cli === undefined ? 'no Pulumi CLI here' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-demo-'));
  let demo: ChildProcess | undefined;
  let stdout = '';

  after(() => {
    demo?.kill('SIGKILL');
    // Whatever happened, no agent of this playground may outlive the test.
    const nodesDir = join(dir, 'checkout', '.xplane', 'local', 'nodes');
    for (const f of (() => {
      try {
        return readdirSync(nodesDir);
      } catch {
        return [];
      }
    })()) {
      if (!f.endsWith('.pid')) continue;
      try {
        process.kill(Number(readFileSync(join(nodesDir, f), 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('comes up, answers DNS from live nodes, drops a killed node at once, and removes its nodes on Ctrl-C', async () => {
    const api = await freePort();
    const dnsPort = await freePort();
    demo = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin/xplane.js'), 'demo', '--dir', dir, '--listen', `127.0.0.1:${api}`, '--dns-listen', `127.0.0.1:${dnsPort}`],
      {
        env: { ...process.env, PULUMI_CLI_PATH: cli ?? '', XPLANE_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    demo.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    let stderr = '';
    demo.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));

    const startedAt = Date.now();
    await until('the playground', async () => (stdout.includes('xplane playground is up') ? true : undefined), 60_000);

    const auth = { authorization: 'Bearer demo-admin-token' };
    const active = await until(
      'both nodes active',
      async () => {
        const nodes = (await (await fetch(`http://127.0.0.1:${api}/v1/nodes`, { headers: auth })).json()) as { name: string; address: string; state: string }[];
        return nodes.filter((n) => n.state === 'active').length >= 1 && nodes.length >= 2 ? nodes : undefined;
      },
      120_000,
    );
    const answers = async (n: number): Promise<Set<string>> => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i += 1) {
        const reply = await queryDns('api.svc.plus', RRType.A, { host: '127.0.0.1', port: dnsPort });
        for (const rr of reply.answers) if (rr.data.kind === 'a') seen.add(rr.data.address);
      }
      return seen;
    };
    const jp = active.find((n) => n.name === 'jp-svc-plus-1');
    assert.ok(jp, 'jp-svc-plus-1 registered');
    const jpIp = jp.address.split(':')[0] ?? '';
    // The record files land at the end of the first converge, a little after the agents start.
    await until('DNS answering with the live jp node', async () => ((await answers(10)).has(jpIp) ? true : undefined), 60_000);

    // Nothing changed, so the loop commits nothing in the playground's first minute: its nodes
    // serve on trust while they register and warm up (contract §3, "Exclusion needs evidence").
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 60_000 - Date.now())));
    const loopCommits = execFileSync('git', ['--git-dir', join(dir, 'platform.git'), 'log', '--format=%s', '--author=xplane-bot', 'main'], {
      encoding: 'utf8',
    }).trim();
    assert.equal(loopCommits, '', `the loop committed in the first minute:\n${loopCommits}`);

    // kill -9 the jp node: the connection the prober holds to it closes, the probe that follows at once is
    // refused, the registry marks it down, and DNS drops it at once (tens of ms). Without that connection
    // the next probe finds it within one interval (1 s); the bound leaves room for a busy machine and still
    // fails on the heartbeat timeout's fall × interval (3 s), the path a missed probe would fall back to.
    const pid = Number(readFileSync(join(dir, 'checkout', '.xplane', 'local', 'nodes', 'jp-svc-plus-1.pid'), 'utf8'));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await until('DNS without the killed node', async () => (!(await answers(10)).has(jpIp) ? true : undefined), 20_000);
    const ms = Date.now() - killedAt;
    console.log(`# killed node left the DNS answers after ${ms} ms (health interval 1s, fall 3)`);
    assert.ok(ms <= 2_000, `left DNS after ${ms} ms`);

    demo.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => demo?.once('exit', resolve));
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stdout, /stopping: removing the playground’s nodes/);
  });
});
