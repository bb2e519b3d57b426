// The `xplane` command as a user runs it: a real process, real files, a real
// bare git remote.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../src/store/index.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT, gitSync, makeGitFixture, tempDir } from '../src/testing/index.js';

function brokenRepo(): string {
  const dir = tempDir();
  for (const d of ['platform-config', 'stacks']) cpSync(join(REPO_ROOT, d), join(dir, d), { recursive: true });
  const autoscale = join(dir, 'platform-config/autoscale/svc-plus.yaml');
  writeFileSync(autoscale, readFileSync(autoscale, 'utf8').replace('scale_up_cpu: 0.7', 'scale_up_cpu: high'));
  const gtm = join(dir, 'platform-config/gtm/svc-plus.yaml');
  writeFileSync(gtm, readFileSync(gtm, 'utf8').replace('name: sg', 'name: us'));
  writeFileSync(join(dir, 'platform-config/regions/jp.yaml'), readFileSync(join(dir, 'platform-config/regions/jp.yaml'), 'utf8') + 'bogus: 1\n');
  return dir;
}

describe('xplane validate', () => {
  it('exits 0 on this repository', async () => {
    const r = await runCli(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^valid: 1 gtm policy, 1 autoscale policy, 2 regions, 2 stacks$/m);
  });

  it('lists every problem of a broken repo with file:line:col and exits 1', async () => {
    const dir = brokenRepo();
    try {
      const r = await runCli(['validate', dir]);
      assert.equal(r.code, 1);
      const lines = r.stdout.trim().split('\n');
      assert.deepEqual(lines, [
        'platform-config/autoscale/svc-plus.yaml:21:19 regions.jp.scale_up_cpu: expected a number between 0 and 1, got "high"',
        'platform-config/gtm/svc-plus.yaml:11:11 regions[1].name: expected a region with a file in platform-config/regions/ (jp, sg), got "us"',
        'platform-config/regions/jp.yaml:12:1 bogus: unknown key (expected one of: name, provider, location, instance_type, node_template, labels, cost_per_node_hour, max_nodes)',
        'invalid: 3 problems',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the problems as JSON with --json', async () => {
    const dir = brokenRepo();
    try {
      const r = await runCli(['validate', dir, '--json']);
      assert.equal(r.code, 1);
      const parsed = JSON.parse(r.stdout) as { valid: boolean; issues: { file: string; line: number; col: number; path: string }[] };
      assert.equal(parsed.valid, false);
      assert.deepEqual(parsed.issues[0] && { ...parsed.issues[0], message: undefined, text: undefined }, {
        file: 'platform-config/autoscale/svc-plus.yaml',
        line: 21,
        col: 19,
        path: 'regions.jp.scale_up_cpu',
        message: undefined,
        text: undefined,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('xplane sync --once', () => {
  it('stores the snapshot of a bare repo and prints the commit and what changed', async () => {
    const fixture = makeGitFixture();
    try {
      const db = join(fixture.root, 'state.db');
      const args = ['sync', '--once', '--repo', fixture.bare, '--db', db, '--workdir', join(fixture.root, 'mirror')];
      const first = await runCli(args, { cwd: fixture.root });
      assert.equal(first.code, 0, first.stderr);
      const head = gitSync(fixture.work, 'rev-parse', 'HEAD');
      assert.equal(
        first.stdout,
        [`commit ${head}`, '  + gtm svc-plus', '  + autoscale svc-plus', '  + region jp', '  + region sg', '  + stack jp', '  + stack sg', ''].join('\n'),
      );
      const again = await runCli(args, { cwd: fixture.root });
      assert.equal(again.stdout, `commit ${head}\nalready in force: nothing changed\n`);
      const store = await openStore(db);
      try {
        assert.equal((await store.latestSnapshot())?.commit, head);
      } finally {
        await store.close();
      }
    } finally {
      fixture.cleanup();
    }
  });

  it('takes settings from the environment and xplane.yaml, flags first', async () => {
    const fixture = makeGitFixture();
    try {
      writeFileSync(
        join(fixture.root, 'xplane.yaml'),
        `repo: /nonexistent/repo.git\ndb: ${join(fixture.root, 'file.db')}\nworkdir: ${join(fixture.root, 'm')}\n`,
      );
      const fromFile = await runCli(['sync', '--once', '--json'], { cwd: fixture.root });
      assert.equal(fromFile.code, 1);
      assert.match((JSON.parse(fromFile.stdout) as { message: string }).message, /nonexistent\/repo\.git/);
      const fromEnv = await runCli(['sync', '--once', '--json'], { cwd: fixture.root, env: { XPLANE_REPO: fixture.bare } });
      assert.equal(fromEnv.code, 0, fromEnv.stdout);
      const fromFlag = await runCli(['sync', '--once', '--json', '--repo', '/nowhere.git'], { cwd: fixture.root, env: { XPLANE_REPO: fixture.bare } });
      assert.equal(fromFlag.code, 1);
    } finally {
      fixture.cleanup();
    }
  });

  it('exits 1 with the problems when the fetched commit is invalid', async () => {
    const fixture = makeGitFixture();
    try {
      const path = 'platform-config/regions/sg.yaml';
      fixture.commit({ [path]: fixture.read(path).replace('provider: aws', 'provider: azure') }, 'bad provider');
      const r = await runCli(['sync', '--once', '--repo', fixture.bare, '--db', join(fixture.root, 's.db'), '--workdir', join(fixture.root, 'w')], {
        cwd: fixture.root,
      });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /rejected \(1 problem\); no configuration in force/);
      assert.match(r.stdout, /platform-config\/regions\/sg\.yaml:\d+:\d+ provider: expected one of: aws, local, got "azure"/);
    } finally {
      fixture.cleanup();
    }
  });
});

describe('xplane usage errors', () => {
  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });

  it('exits 2 naming a bad setting', async () => {
    const r = await runCli(['sync', '--once', '--sync-interval', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--sync-interval: expected a duration like 500ms, 5s, 1m or 2h, got "soon"/);
  });

  it('prints help for every command', async () => {
    for (const command of ['validate', 'sync']) {
      const r = await runCli([command, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: xplane ${command}`));
    }
  });
});
