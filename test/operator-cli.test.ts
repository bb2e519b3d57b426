// The operator commands of contract §6 — `xplane status`, `xplane nodes`,
// `xplane drain NAME`, `xplane history` — run as the real CLI against a real
// `xplane serve` whose loop makes decisions during the test: readable text,
// `--json`, the admin token from the environment or a file, and the failures an
// operator meets (no token, a wrong one, no server, an unknown node).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from './helpers/cli.js';
import { until } from './helpers/fake-node.js';
import { RIG_TOKENS, pushInvalidCommit, startLoopRig, takeSgOut, type LoopRig } from './helpers/loop-rig.js';
import { freePort } from './helpers/serve.js';

describe('operator commands against a running xplane serve', () => {
  let rig: LoopRig;
  let sgCommit: string;
  let cwd: string;

  before(async () => {
    rig = await startLoopRig();
    sgCommit = await takeSgOut(rig);
    // An empty folder: no .xplane/admin-token to fall back on.
    cwd = mkdtempSync(join(tmpdir(), 'xplane-cli-'));
  });

  after(async () => {
    // before() may have stopped before assigning it.
    await (rig as LoopRig | undefined)?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  const xplane = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runCli([...args, '--server', rig.serve.url], { cwd, env: { XPLANE_ADMIN_TOKEN: RIG_TOKENS.admin, NO_COLOR: '1', ...env } });

  it('status shows each region’s weight, ready/desired nodes and nodes by state, the config in force and the last decision', async () => {
    const run = await until('sg at weight 0 in the status', async () => {
      const r = await xplane(['status']);
      return /^\s+sg\s+0\s/m.test(r.stdout) ? r : undefined;
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^config [0-9a-f]{7} in force$/m);
    assert.match(run.stdout, /^last sync .* ago: ok \(/m);
    assert.match(run.stdout, /^svc-plus$/m);
    assert.match(run.stdout, /^\s+REGION\s+WEIGHT\s+READY\/DESIRED\s+NODES\s+HOLDS\s+WHY$/m);
    assert.match(run.stdout, /^\s+jp\s+100\s+2\/2\s+active 2\s+-\s+ready 2\/2$/m);
    assert.match(run.stdout, /^\s+sg\s+0\s+0\/\d\s+down 1\s+-\s+ready 0 < min 1$/m);
    assert.match(run.stdout, new RegExp(`sg last decision .* ${sgCommit.slice(0, 7)}: `));
    assert.ok(!run.stdout.includes('\u001b['), 'NO_COLOR: no colour codes');

    const json = await xplane(['status', '--service', 'svc-plus', '--json']);
    const body = JSON.parse(json.stdout) as {
      config: { commit: string; services: string[] };
      services: { service: string; regions: Record<string, { weight: number }> }[];
    };
    assert.deepEqual(body.config.services, ['svc-plus']);
    assert.equal(body.services[0]?.regions.sg?.weight, 0);
  });

  it('nodes lists every node with its state and last heartbeat, filtered like the API', async () => {
    const run = await xplane(['nodes']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAME\s+SERVICE\s+REGION\s+STATE\s+SINCE\s+HEARTBEAT\s+CPU\s+ADDRESS$/m);
    assert.match(run.stdout, /^jp-svc-plus-1\s+svc-plus\s+jp\s+active\s+\S+ ago\s+\S+ ago\s+0\.50\s+127\.0\.0\.2:\d+$/m);
    assert.match(run.stdout, /^sg-svc-plus-1\s+svc-plus\s+sg\s+down\s/m);
    const jp = JSON.parse((await xplane(['nodes', '--region', 'jp', '--json'])).stdout) as { name: string; state: string }[];
    assert.deepEqual(
      jp.map((n) => n.name),
      ['jp-svc-plus-1', 'jp-svc-plus-2'],
    );
    assert.equal((await xplane(['nodes', '--state', 'sleeping'])).code, 1, 'a bad filter is the server’s 400');
  });

  it('drain takes a node out through the API, and the loop excludes it', async () => {
    const run = await xplane(['drain', 'jp-svc-plus-2']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'jp-svc-plus-2: drain\n');
    assert.deepEqual(JSON.parse((await xplane(['drain', 'jp-svc-plus-2', '--json'])).stdout), { name: 'jp-svc-plus-2', state: 'drain' });
    const nodes = await xplane(['nodes', '--state', 'drain']);
    assert.match(nodes.stdout, /^jp-svc-plus-2\s+svc-plus\s+jp\s+drain\s/m);
    const unknown = await xplane(['drain', 'jp-svc-plus-9']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /404 XP_ERR_NOT_FOUND/);
    assert.equal((await xplane(['drain'])).code, 2, 'no name is a usage error');
  });

  it('history lists the loop’s decisions newest first with their commits, filtered, paged and as JSON', async () => {
    const entries = await until('the drain’s exclusion in the history', async () => {
      const list = JSON.parse((await xplane(['history', '--json'])).stdout) as {
        kind: string;
        region: string;
        commit: string;
        summary: string;
        from: unknown;
        to: unknown;
        at: string;
      }[];
      return list.some((e) => e.summary.startsWith('gtm: svc-plus jp exclude jp-svc-plus-2')) ? list : undefined;
    });
    const weight = entries.find((e) => e.summary.startsWith('gtm: svc-plus sg weight 10→0'));
    assert.equal(weight?.commit, sgCommit);
    assert.equal(weight.kind, 'weight');
    assert.deepEqual([weight.from, weight.to], [10, 0]);
    const times = entries.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );

    const text = await xplane(['history', '--since', '1h']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^TIME\s+COMMIT\s+DECISION$/m);
    assert.match(
      text.stdout,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+${sgCommit.slice(0, 7)}\\s+gtm: svc-plus sg weight 10→0 \\(ready 0 < min 1\\)$`, 'm'),
    );
    const lines = text.stdout.trim().split('\n');
    assert.match(lines[1] ?? '', /gtm: svc-plus jp exclude jp-svc-plus-2/, 'the newest decision comes first');

    const sgOnly = JSON.parse((await xplane(['history', '--region', 'sg', '--json'])).stdout) as { region: string }[];
    assert.ok(sgOnly.length > 0 && sgOnly.every((e) => e.region === 'sg'));
    const paged = await xplane(['history', '--limit', '1']);
    assert.match(paged.stdout, /^more: add --before \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    assert.equal((await xplane(['history', '--since', 'last tuesday'])).code, 1);
  });

  it('status shows a rejected commit’s problems as file:line:col while the last good configuration stays in force', async () => {
    const inForce = (JSON.parse((await xplane(['status', '--json'])).stdout) as { config: { commit: string } }).config.commit;
    const bad = pushInvalidCommit(rig);
    const run = await until('the rejected commit in the status', async () => {
      const r = await xplane(['status']);
      return r.stdout.includes(`commit ${bad.slice(0, 7)} rejected`) ? r : undefined;
    });
    assert.match(run.stdout, new RegExp(`^config ${inForce.slice(0, 7)} in force$`, 'm'));
    assert.match(run.stdout, /^last sync .* ago: invalid \(commit [0-9a-f]{7} rejected: 1 problem; /m);
    assert.match(run.stdout, /^ {2}error platform-config\/autoscale\/svc-plus\.yaml:\d+:\d+ regions\.jp\.scale_up_cpu: /m);
  });

  it('reads the admin token from XPLANE_ADMIN_TOKEN_FILE, and says what is wrong without one, with a wrong one, or without a server', async () => {
    const file = join(cwd, 'admin-token');
    writeFileSync(file, `${RIG_TOKENS.admin}\n`);
    const fromFile = await xplane(['nodes', '--json'], { XPLANE_ADMIN_TOKEN: '', XPLANE_ADMIN_TOKEN_FILE: file });
    assert.equal(fromFile.code, 0, fromFile.stderr);

    const none = await xplane(['nodes'], { XPLANE_ADMIN_TOKEN: '' });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no admin token: set XPLANE_ADMIN_TOKEN or XPLANE_ADMIN_TOKEN_FILE/);

    const wrong = await xplane(['status'], { XPLANE_ADMIN_TOKEN: 'not-the-token' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /401 XP_ERR_UNAUTHORIZED: invalid token/);

    const port = await freePort();
    const gone = await runCli(['history', '--server', `127.0.0.1:${port}`], { cwd, env: { XPLANE_ADMIN_TOKEN: RIG_TOKENS.admin } });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, new RegExp(`cannot reach xplane serve at http://127\\.0\\.0\\.1:${port}`));
  });
});
