// The monitoring that ships in deploy/: Prometheus alert rules checked by the
// real `promtool check rules` and unit-tested by `promtool test rules`, and the
// Grafana dashboard, whose every query promtool parses too. Every metric either
// names is one xplane exports (src/metrics). Without promtool the promtool
// checks skip, except under CI (env CI set): there they fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Metrics } from '../src/metrics/index.js';
import { REPO_ROOT } from '../src/testing/index.js';

const RULES = join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml');
const RULE_TESTS = join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.test.yml');
const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'xplane.json');

const promtoolVersion = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (promtoolVersion.error && process.env.CI) {
  throw new Error(`CI must provide promtool (Debian package prometheus) for the alert rules' tests: ${promtoolVersion.error.message}`, {
    cause: promtoolVersion.error,
  });
}
const noPromtool = promtoolVersion.error ? 'no promtool here (Debian package prometheus)' : false;

function promtool(args: string[]): { code: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ruleTests = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** The metric names xplane's registry exports (histograms with their series suffixes). */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  const names = new Set<string>();
  for (const match of (await metrics.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type] = match;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

function namesIn(expr: string): string[] {
  return [...expr.matchAll(/\bxplane_[a-z_]+\b/g)].map((m) => m[0]);
}

describe('deploy/prometheus alert rules', () => {
  it('has the alerts an operator needs, each with a severity, a summary and a description', () => {
    const names = rules.map((r) => r.alert);
    for (const name of [
      'XplaneConfigInvalid',
      'XplaneSyncStale',
      'XplaneNoLeader',
      'XplaneGitPushFailing',
      'XplaneSelfProtection',
      'XplaneRegionAtZeroWeight',
    ]) {
      assert.ok(names.includes(name), `${name} is missing`);
    }
    for (const r of rules) {
      assert.ok(['warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert} has a severity`);
      assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert} says what and why`);
    }
  });

  it('unit-tests every alert both firing and holding back', () => {
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const r of rules) {
      assert.ok(
        cases.some((c) => c.alertname === r.alert && c.exp_alerts.length > 0),
        `${r.alert} is tested firing`,
      );
      assert.ok(
        cases.some((c) => c.alertname === r.alert && c.exp_alerts.length === 0),
        `${r.alert} is tested not firing`,
      );
    }
  });

  it('passes `promtool check rules`', { skip: noPromtool }, () => {
    const { code, output } = promtool(['check', 'rules', RULES]);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('passes its unit tests: `promtool test rules alerts.test.yml`', { skip: noPromtool }, () => {
    const { code, output } = promtool(['test', 'rules', RULE_TESTS]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });
});

describe('deploy/grafana dashboard', () => {
  it('charts weights, nodes by state, decisions, reconcile duration, sync age, the leader and self-protection', () => {
    const used = new Set(queries.flatMap((q) => namesIn(q.expr)));
    for (const name of [
      'xplane_region_weight',
      'xplane_nodes',
      'xplane_desired_nodes',
      'xplane_decisions_total',
      'xplane_reconcile_duration_seconds_bucket',
      'xplane_sync_last_success_timestamp_seconds',
      'xplane_leader',
      'xplane_self_protection',
      'xplane_config_valid',
      'xplane_git_push_failures_total',
    ]) {
      assert.ok(used.has(name), `no panel charts ${name}`);
    }
  });

  it('is a dashboard Grafana imports: unique panel ids, a 24-column grid, every query on the chosen Prometheus', () => {
    assert.equal(dashboard.uid, 'xplane');
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource'));
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
      for (const t of p.targets ?? []) assert.equal(t.datasource.uid, '${datasource}', p.title);
    }
  });

  it('names only metrics xplane exports, in the dashboard and in the alerts', async () => {
    const exported = await exportedNames();
    assert.ok(exported.has('xplane_region_weight'), 'the registry lists labelled metrics before they have samples');
    for (const { panel, expr } of [...queries, ...rules.map((r) => ({ panel: r.alert, expr: r.expr }))]) {
      for (const name of namesIn(expr)) assert.ok(exported.has(name), `${panel}: ${name} is not an xplane metric`);
    }
  });

  it('has queries that promtool parses (with the dashboard variables filled in)', { skip: noPromtool }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-dashboard-'));
    try {
      const file = join(dir, 'queries.yml');
      const filled = queries.map((q, i) => ({
        record: `dashboard:query_${i}`,
        expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*').replaceAll('$service', '.*'),
      }));
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: filled }] }));
      const { code, output } = promtool(['check', 'rules', file]);
      assert.equal(code, 0, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
