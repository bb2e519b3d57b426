// `xplane simulate` replays through the production planner, not a copy of it:
// a copy of the source tree whose src/reconcile/plan.ts (the planPass `xplane
// serve` runs) is changed gives a different simulation, and the unchanged copy
// gives the one the real command gives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../src/testing/index.js';

const PLAN = 'src/reconcile/plan.ts';
/** Where planPass hands the autoscaler's decisions on. */
const HANDOFF = 'decisions.push(...scaled.decisions);';

/** The step of issue 19: jp from 0.5 to 0.9 a minute in, sg steady, every 10 s for five minutes. */
function stepTrace(): string {
  const lines = ['time,service,region,cpu_demand,active,weight'];
  for (let t = 0; t <= 300; t += 10) {
    const at = new Date(Date.UTC(2026, 2, 2, 8, 0, t)).toISOString();
    lines.push(`${at},svc-plus,jp,${t < 60 ? 0.5 : 0.9},1,100`, `${at},svc-plus,sg,0.4,1,10`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs `xplane simulate` from the source tree at `root` (through tsx), on the repo's own configuration. */
function simulate(root: string, trace: string): string[] {
  const script = `import(${JSON.stringify(join(root, 'src/cli/index.ts'))}).then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', script, '--', 'simulate', '--metrics', trace, '--config', REPO_ROOT, '--boot', '60s', '--json'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, XPLANE_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as { config: { decisions: { summary: string }[] } }).config.decisions.map((d) => d.summary);
}

describe('xplane simulate and the production planner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-simulate-planner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('changes its decisions when planPass in src/reconcile/plan.ts changes', { timeout: 120_000 }, () => {
    const trace = join(dir, 'step.csv');
    writeFileSync(trace, stepTrace());
    const copy = join(dir, 'tree');
    cpSync(join(REPO_ROOT, 'src'), join(copy, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, file), join(copy, file));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    const asShipped = simulate(copy, trace);
    assert.deepEqual(asShipped, ['autoscale: svc-plus jp 1→2 (cpu=0.90)', 'gtm: svc-plus jp include jp-svc-plus-2 (active)']);

    // planPass now marks every autoscale decision it hands on: if simulate ran a planner of its own, nothing would change.
    const source = readFileSync(join(copy, PLAN), 'utf8');
    assert.equal(source.split(HANDOFF).length, 2, `${PLAN} hands the autoscaler's decisions on in one place`);
    writeFileSync(
      join(copy, PLAN),
      source.replace(HANDOFF, 'decisions.push(...scaled.decisions.map((d) => ({ ...d, summary: `${d.summary} [changed planPass]` })));'),
    );
    assert.deepEqual(simulate(copy, trace), ['autoscale: svc-plus jp 1→2 (cpu=0.90) [changed planPass]', 'gtm: svc-plus jp include jp-svc-plus-2 (active)']);
  });
});
