// `xplane simulate` and `xplane metrics export` as a user runs them: the real
// command (dist/), real files, a real Git repository for --against REV, a real
// SQLite store for the export.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore, type HistoryRow } from '../src/store/index.js';
import { REPO_ROOT, gitSync, tempDir } from '../src/testing/index.js';
import { runCli } from './helpers/cli.js';

const AUTOSCALE = 'platform-config/autoscale/svc-plus.yaml';

/** A GitOps repo with the example's declarations, jp's scale_up_cpu and the cooldown as given. */
function configDir(root: string, name: string, over: { scaleUpCpu: number; cooldown: string }): string {
  const dir = join(root, name);
  for (const d of ['platform-config', 'stacks']) cpSync(join(REPO_ROOT, d), join(dir, d), { recursive: true });
  const text = readFileSync(join(dir, AUTOSCALE), 'utf8')
    .replace(/scale_up_cpu: 0\.7 /, `scale_up_cpu: ${over.scaleUpCpu} `)
    .replace(/cooldown: \S+/, `cooldown: ${over.cooldown}`);
  writeFileSync(join(dir, AUTOSCALE), text);
  return dir;
}

/** Every 10 s from 08:00Z for `seconds`: jp's demand `jp(t)` on one node, sg a steady 0.4 on one. */
function trace(seconds: number, jp: (t: number) => number): string {
  const lines = ['time,service,region,cpu_demand,active,weight'];
  for (let t = 0; t <= seconds; t += 10) {
    const at = new Date(Date.UTC(2026, 2, 2, 8, 0, t)).toISOString();
    lines.push(`${at},svc-plus,jp,${jp(t)},1,100`, `${at},svc-plus,sg,0.4,1,10`);
  }
  return `${lines.join('\n')}\n`;
}

const step = (t: number): number => (t < 60 ? 0.5 : 0.9);
const ramp = (t: number): number => (t < 60 ? 0.5 : t < 300 ? 0.9 : t < 540 ? 1.6 : t < 780 ? 2.4 : 3.2);

describe('xplane simulate', () => {
  const root = tempDir('xplane-simulate-cli-');
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    writeFileSync(join(root, name), text);
    return join(root, name);
  };

  it('prints the exact commit lines and times of a step from 0.5 to 0.9 CPU in jp (scale_up_cpu 0.7, cooldown 120s, --boot 60s)', async () => {
    const config = configDir(root, 'step-config', { scaleUpCpu: 0.7, cooldown: '120s' });
    const file = write('step.csv', trace(600, step));
    const r = await runCli(['simulate', '--metrics', file, '--config', config, '--boot', '60s']);
    assert.equal(r.code, 0, r.stderr);
    const decisions = r.stdout.slice(r.stdout.indexOf('Decisions')).trim().split('\n');
    assert.deepEqual(decisions, [
      'Decisions (2):',
      '',
      '    2026-03-02T08:01:00Z  autoscale: svc-plus jp 1→2 (cpu=0.90)',
      '    2026-03-02T08:02:00Z  gtm: svc-plus jp include jp-svc-plus-2 (active)',
    ]);
    assert.match(r.stdout, /^\| svc-plus jp \| 1 \| 0 \| 0\.32 \| 1\.0 \| 0\.0 \| 0 \| 0 \|$/m);
  });

  it('shows fewer scale-ups for the same trace through a longer cooldown, side by side', async () => {
    const short = configDir(root, 'short', { scaleUpCpu: 0.7, cooldown: '120s' });
    const long = configDir(root, 'long', { scaleUpCpu: 0.7, cooldown: '600s' });
    const file = write('ramp.csv', trace(1_200, ramp));
    const r = await runCli(['simulate', '--metrics', file, '--config', long, '--against', short, '--boot', '60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Config: \`${long}\`\\. Against: \`${short}\`\\.`, 'm'));
    assert.match(r.stdout, /^\| svc-plus jp \| 4 → 2 \| /m, 'jp: 4 scale-ups against, 2 with the longer cooldown');
    assert.match(r.stdout, /^ {4}- 2026-03-02T08:05:00Z {2}autoscale: svc-plus jp 2→3 \(cpu=0\.80\)$/m);
    assert.match(r.stdout, /^ {4}\+ 2026-03-02T08:11:00Z {2}autoscale: svc-plus jp 2→3 \(cpu=1\.00\)$/m);

    const json = await runCli(['simulate', '--metrics', file, '--config', long, '--against', short, '--boot', '60s', '--json']);
    const body = JSON.parse(json.stdout) as Record<string, { label: string; regions: { region: string; scaleUps: number }[] }>;
    assert.equal(body.config?.regions.find((x) => x.region === 'jp')?.scaleUps, 2);
    assert.equal(body.against?.regions.find((x) => x.region === 'jp')?.scaleUps, 4);
  });

  it('reads --config and --against as Git revisions of the repository it runs in', async () => {
    const repo = join(root, 'repo');
    configDir(root, 'repo', { scaleUpCpu: 0.7, cooldown: '120s' });
    gitSync(repo, 'init', '--quiet', '--initial-branch=main');
    gitSync(repo, 'add', '-A');
    gitSync(repo, 'commit', '--quiet', '-m', 'cooldown 120s');
    writeFileSync(join(repo, AUTOSCALE), readFileSync(join(repo, AUTOSCALE), 'utf8').replace('cooldown: 120s', 'cooldown: 600s'));
    gitSync(repo, 'commit', '--quiet', '-am', 'cooldown 600s');
    const base = gitSync(repo, 'rev-parse', '--short=7', 'HEAD~1');
    const file = write('ramp-rev.csv', trace(1_200, ramp));
    const r = await runCli(['simulate', '--metrics', file, '--against', 'HEAD~1', '--boot', '60s'], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Config: \`\\.\`\\. Against: \`HEAD~1 \\(${base}\\)\`\\.`, 'm'));
    assert.match(r.stdout, /^\| svc-plus jp \| 4 → 2 \| /m);
    const bad = await runCli(['simulate', '--metrics', file, '--against', 'no-such-rev'], { cwd: repo });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^xplane simulate: --against no-such-rev: neither a directory nor a Git revision of the repository at /m);
  });

  it('names the line of a malformed row, and the line of a region the configuration does not declare', async () => {
    const head = 'time,service,region,cpu_demand,active';
    const cases: [string, string][] = [
      [`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,1\n2026-03-02T08:00:00Z,svc-plus,,0.4,1\n`, 'bad.csv:3: region is empty'],
      [`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,half,1\n`, 'bad.csv:2: cpu_demand: expected a number >= 0 or an empty cell, got "half"'],
      [
        `${head}\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,1\n2026-03-02T08:00:00Z,svc-plus,sg,0.4,1\n2026-03-02T08:00:10Z,svc-plus,us,0.4,1\n`,
        'bad.csv:4: region "us" is not declared for svc-plus (its gtm and autoscale policies name jp, sg)',
      ],
    ];
    for (const [text, message] of cases) {
      const file = write('bad.csv', text);
      const r = await runCli(['simulate', '--metrics', file, '--config', REPO_ROOT]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim(), `xplane simulate: ${file.slice(0, -'bad.csv'.length)}${message}`);
    }
  });

  it('names the region a replayed service has no rows for', async () => {
    const file = write('jp-only.csv', 'time,service,region,cpu_demand,active\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,1\n');
    const r = await runCli(['simulate', '--metrics', file, '--config', REPO_ROOT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /jp-only\.csv: no rows for svc-plus in region sg, which the configuration declares/);
  });

  it('asks for --metrics, and replays the committed example trace out of the box', async () => {
    const usage = await runCli(['simulate']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--metrics FILE is required/);
    const example = await runCli(['simulate', '--metrics', 'examples/traces/svc-plus-day.csv']);
    assert.equal(example.code, 0, example.stderr);
    assert.match(
      example.stdout,
      /^Replay of examples\/traces\/svc-plus-day\.csv through the controllers \(planPass\) with `\.`: 2026-03-01T15:00:00Z → 2026-03-02T15:00:00Z \(24h\)/,
    );
    assert.match(example.stdout, /^\| svc-plus jp \| [1-9]/m, 'the day scales jp');
  });
});

describe('the example pull-request workflow', () => {
  it('simulates the changed policy against the base when autoscale or gtm policies change, into the preview comment', () => {
    const preview = readFileSync(join(REPO_ROOT, '.github/workflows/preview.yml'), 'utf8');
    assert.match(preview, /git diff --quiet "origin\/\$\{GITHUB_BASE_REF\}\.\.\.HEAD" -- platform-config\/autoscale\/ platform-config\/gtm\//);
    assert.match(preview, /npx xplane simulate --metrics "\$XPLANE_TRACE" --config \. --against "origin\/\$\{GITHUB_BASE_REF\}"/);
    assert.match(preview, /XPLANE_TRACE: examples\/traces\/svc-plus-day\.csv/);
    assert.match(preview, /args\+=\(--section "[^"=]+=simulate\.md"\)/, 'the same comment as the preview, as a section of its own');
  });
});

describe('xplane metrics export', () => {
  const root = tempDir('xplane-metrics-export-');
  after(() => rmSync(root, { recursive: true, force: true }));

  const row = (at: number, over: Partial<HistoryRow> = {}): HistoryRow => ({
    at,
    service: 'svc-plus',
    region: 'jp',
    cpuDemand: 0.9,
    active: 1,
    warm: 0,
    drain: 0,
    down: 0,
    unknown: 1,
    weight: 100,
    qps: 12.5,
    errorRate: 0.01,
    rttMs: 40,
    ...over,
  });

  it('writes the store’s history of the last --since as CSV, oldest first, for one --service', async () => {
    const db = join(root, 'x.db');
    const now = Date.now();
    const store = SqliteStore.open(db);
    await store.appendHistory([
      row(now - 3 * 3_600_000),
      row(now - 90 * 60_000, { region: 'sg', cpuDemand: null, qps: null, errorRate: null, rttMs: null, weight: 10 }),
      row(now - 30 * 60_000, { service: 'other' }),
      row(now - 10 * 60_000, { cpuDemand: 1.25 }),
    ]);
    await store.close();
    const iso = (ms: number): string => new Date(ms).toISOString();

    const r = await runCli(['metrics', 'export', '--db', db, '--since', '2h', '--service', 'svc-plus']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'time,service,region,cpu_demand,active,warm,drain,down,unknown,weight,qps,error_rate,rtt_ms',
      `${iso(now - 90 * 60_000)},svc-plus,sg,,1,0,0,0,1,10,,,`,
      `${iso(now - 10 * 60_000)},svc-plus,jp,1.25,1,0,0,0,1,100,12.5,0.01,40`,
    ]);
    const day = await runCli(['metrics', 'export', '--db', db]);
    assert.equal(day.stdout.trim().split('\n').length, 5, 'the default is the last 24h, every service');
  });

  it('says so when there is no database, and refuses a bad --since', async () => {
    const missing = await runCli(['metrics', 'export', '--db', join(root, 'nope.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no database at .*nope\.db/);
    const bad = await runCli(['metrics', 'export', '--since', 'yesterday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since: expected a duration like 30m, 24h or 168h, got "yesterday"/);
    const sub = await runCli(['metrics']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /expected a subcommand: export/);
  });
});
