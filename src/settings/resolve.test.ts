import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSettings, SettingsError } from './resolve.js';

const file = (text: string) => ({ path: 'xplane.yaml', text });

describe('resolveSettings', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, sources } = resolveSettings({ flags: {}, env: {} });
    assert.equal(settings.listen, '127.0.0.1:7070');
    assert.equal(settings.sync_interval, 10_000);
    assert.equal(settings.push, true);
    assert.equal(settings.db, '.xplane/xplane.db');
    assert.equal(sources.repo, 'default');
  });

  const precedence: { name: string; flag?: string; env?: string; yaml?: string; want: number; source: string }[] = [
    { name: 'the file when only the file sets it', yaml: 'sync_interval: 30s', want: 30_000, source: 'file' },
    { name: 'the environment over the file', env: '5s', yaml: 'sync_interval: 30s', want: 5_000, source: 'env' },
    { name: 'the flag over the environment and the file', flag: '1m', env: '5s', yaml: 'sync_interval: 30s', want: 60_000, source: 'flag' },
  ];
  for (const c of precedence) {
    it(`takes ${c.name}`, () => {
      const { settings, sources } = resolveSettings({
        flags: c.flag ? { sync_interval: c.flag } : {},
        env: c.env ? { XPLANE_SYNC_INTERVAL: c.env } : {},
        file: c.yaml ? file(c.yaml) : undefined,
      });
      assert.equal(settings.sync_interval, c.want);
      assert.equal(sources.sync_interval, c.source);
    });
  }

  it('reads booleans from every spelling', () => {
    assert.equal(resolveSettings({ flags: { push: false }, env: {} }).settings.push, false);
    assert.equal(resolveSettings({ flags: {}, env: { XPLANE_PUSH: 'false' } }).settings.push, false);
    assert.equal(resolveSettings({ flags: {}, env: {}, file: file('push: no') }).settings.push, false);
    assert.equal(resolveSettings({ flags: {}, env: {}, file: file('dry_run: true') }).settings.dry_run, true);
  });

  it('reads a ratio from the flag, the environment and the file', () => {
    assert.equal(resolveSettings({ flags: {}, env: {} }).settings.panic_threshold, 0.5);
    assert.equal(resolveSettings({ flags: { panic_threshold: '0.3' }, env: {} }).settings.panic_threshold, 0.3);
    assert.equal(resolveSettings({ flags: {}, env: { XPLANE_PANIC_THRESHOLD: '1' } }).settings.panic_threshold, 1);
    assert.equal(resolveSettings({ flags: {}, env: {}, file: file('panic_threshold: 0.75') }).settings.panic_threshold, 0.75);
  });

  it('keeps 7 days and at most a million rows of metrics history unless told otherwise, in each spelling', () => {
    const defaults = resolveSettings({ flags: {}, env: {} }).settings;
    assert.equal(defaults.metrics_retention, 7 * 24 * 3_600_000);
    assert.equal(defaults.metrics_max_rows, 1_000_000);
    assert.equal(resolveSettings({ flags: { metrics_retention: '24h' }, env: {} }).settings.metrics_retention, 86_400_000);
    assert.equal(resolveSettings({ flags: {}, env: { XPLANE_METRICS_RETENTION: '30m' } }).settings.metrics_retention, 1_800_000);
    assert.equal(resolveSettings({ flags: {}, env: {}, file: file('metrics_max_rows: 5000') }).settings.metrics_max_rows, 5_000);
  });

  const bad: { name: string; input: Parameters<typeof resolveSettings>[0]; want: string[] }[] = [
    {
      name: 'a bad duration flag',
      input: { flags: { sync_interval: 'soon' }, env: {} },
      want: ['--sync-interval: expected a duration like 500ms, 5s, 1m or 2h, got "soon"'],
    },
    {
      name: 'a ratio out of range',
      input: { flags: { panic_threshold: '1.5' }, env: {} },
      want: ['--panic-threshold: expected a number above 0 and at most 1, like 0.5, got "1.5"'],
    },
    {
      name: 'a bad boolean in the environment',
      input: { flags: {}, env: { XPLANE_PUSH: 'maybe' } },
      want: ['XPLANE_PUSH: expected true or false, got "maybe"'],
    },
    {
      name: 'an unknown key and a bad value in the file, with positions',
      input: { flags: {}, env: {}, file: file('branch: main\nsync_intervall: 5s\nreconcile_interval: fast\n') },
      want: [
        'xplane.yaml:2:1 sync_intervall: unknown setting (expected one of: repo, branch, workdir, db, listen, sync_interval, reconcile_interval, push, dry_run, author, probe, register_per_minute, metrics_public, dns_listen, dns_nameservers, dns_dir, lease_ttl, advertise, panic_threshold, converge, metrics_retention, metrics_max_rows)',
        'xplane.yaml:3:21 reconcile_interval: expected a duration like 500ms, 5s, 1m or 2h, got "fast"',
      ],
    },
    { name: 'a YAML syntax error in the file', input: { flags: {}, env: {}, file: file('repo: [unclosed\n') }, want: ['xplane.yaml:2:1'] },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => resolveSettings(c.input),
        (e: unknown) => {
          assert.ok(e instanceof SettingsError);
          assert.equal(e.problems.length, c.want.length);
          c.want.forEach((w, i) => assert.ok(e.problems[i]?.startsWith(w), `${e.problems[i]} should start with ${w}`));
          return true;
        },
      );
    });
  }
});
