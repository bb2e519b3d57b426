// `xplane preview` / `xplane converge` against the REAL Pulumi engine with a
// file backend. Needs a Pulumi CLI (PULUMI_CLI_PATH, PATH, or the cache of
// scripts/build-pulumi-cli.sh); .ci/run provides one, so under CI a missing
// CLI is a failure, not a skip.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT, gitSync } from '../src/testing/index.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the engine tests: ${(err as Error).message}`, { cause: err });
}

interface Result {
  stack: string;
  status: string;
  changes: Record<string, number>;
  error: string | null;
}

describe('converge with the real Pulumi engine', { skip: cli === undefined ? 'no Pulumi CLI here (scripts/build-pulumi-cli.sh builds one)' : false }, () => {
  let repo: string;
  const env = { PULUMI_CONFIG_PASSPHRASE: 'change-me', PULUMI_CLI_PATH: cli ?? '', PULUMI_HOME: '' };

  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'xplane-engine-'));
    env.PULUMI_HOME = join(repo, '.xplane', 'pulumi-home');
    for (const path of ['Pulumi.yaml', 'platform-config', 'stacks', 'program', '.gitignore'])
      cpSync(join(REPO_ROOT, path), join(repo, path), { recursive: true });
    // jp with no node: the stack converges with no cloud resource (no provider plugin, no credentials needed).
    const jp = join(repo, 'stacks/Pulumi.jp.yaml');
    writeFileSync(jp, readFileSync(jp, 'utf8').replace('nodes: [jp-svc-plus-1]', 'nodes: []'));
    gitSync(repo, 'init', '--quiet', '--initial-branch=main');
    gitSync(repo, 'add', '-A');
    gitSync(repo, 'commit', '--quiet', '-m', 'seed');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it('previews a stack, creating it in the file backend without dirtying the checkout', async () => {
    const res = await runCli(['preview', '--stack', 'jp', '--dir', repo, '--json'], { env, timeoutMs: 180_000 });
    assert.equal(res.code, 0, res.stderr);
    const [result] = JSON.parse(res.stdout) as Result[];
    assert.equal(result?.status, 'succeeded');
    assert.equal(result.changes.create, 1);
    assert.equal(gitSync(repo, 'status', '--porcelain'), '', 'stack creation left the checkout clean');
  });

  it('converges a stack, and a second converge of the unchanged stack changes nothing', async () => {
    const first = await runCli(['converge', '--stack', 'jp', '--dir', repo, '--json'], { env, timeoutMs: 180_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual((JSON.parse(first.stdout) as Result[])[0]?.changes, { create: 1 });
    const second = await runCli(['converge', '--stack', 'jp', '--dir', repo, '--json'], { env, timeoutMs: 180_000 });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout) as Result[])[0]?.changes, { same: 1 });
    assert.equal(gitSync(repo, 'status', '--porcelain'), '');
  });

  it('exits 1 and names the problem when a stack fails, and still converges the others', async () => {
    const res = await runCli(['converge', '--dir', repo], { env, timeoutMs: 180_000 });
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^jp\s+up\s+succeeded/m);
    assert.match(res.stdout, /^sg\s+up\s+failed\s+.*controlPlaneUrl/m);
  });
});
