// The package a user installs: `npm pack` of this checkout, installed into an
// empty prefix with production dependencies only (no tsx, no TypeScript, no
// install scripts run), then the installed `xplane` runs --version, validates
// the example it ships and serves a bare repo until /readyz answers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeGitFixture, REPO_ROOT, type GitFixture } from '../src/testing/index.js';
import { freePort } from './helpers/serve.js';

// npm is a node script: run it with this node, so the install uses the same Node 22.
const npmEnv = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8', env: npmEnv, timeout: 600_000 });
  assert.equal(run.status, 0, `npm ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

describe('the npm package, installed with production dependencies only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-pack-'));
  const prefix = join(dir, 'prefix');
  let xplane = '';
  let fixture: GitFixture;

  before(() => {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], REPO_ROOT)) as { filename: string; files: { path: string }[] }[];
    const tarball = join(dir, packed[0]?.filename ?? '');
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    assert.ok(files.includes('dist/src/cli/main.js'), 'the compiled CLI is in the tarball');
    for (const file of ['ui/index.html', 'ui/app.js', 'ui/style.css', 'ui/favicon.svg'])
      assert.ok(files.includes(file), `the status page's ${file} is in the tarball`);
    assert.ok(
      !files.some((f) => f.endsWith('.test.ts') || f.startsWith('test/') || f.startsWith('src/')),
      `no tests or TypeScript sources: ${files
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .slice(0, 5)
        .join(', ')}`,
    );
    // --prefer-offline: CI's `npm ci` has just filled the cache with these very packages.
    npm(['install', '--prefix', prefix, '--omit=dev', '--prefer-offline', '--no-save', tarball], dir);
    xplane = join(prefix, 'node_modules', '.bin', 'xplane');
    fixture = makeGitFixture();
  });

  after(() => {
    // before() may have stopped before assigning it.
    (fixture as GitFixture | undefined)?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no development dependency and no native build', () => {
    const installed = readdirSync(join(prefix, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'fast-check', 'esbuild']) assert.ok(!installed.includes(dev), `${dev} is installed`);
    assert.ok(!existsSync(join(prefix, 'node_modules', 'better-sqlite3')), 'no native SQLite module');
  });

  it('prints its version', () => {
    const run = spawnSync(process.execPath, [xplane, '--version'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(run.stdout.trim(), `xplane ${version}`);
  });

  it('validates the example GitOps repo it ships', () => {
    const run = spawnSync(process.execPath, [xplane, 'validate', join(prefix, 'node_modules', 'xplane')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^valid: 1 gtm policy, 1 autoscale policy, 2 regions, 2 stacks$/m);
    assert.equal(run.stderr, '', 'nothing on stderr (no experimental-feature warning either)');
  });

  it('serves a bare repo until /readyz answers, and stops on SIGTERM', async () => {
    const port = await freePort();
    const state = join(dir, 'serve');
    const child = spawn(
      process.execPath,
      [
        xplane,
        'serve',
        '--repo',
        fixture.bare,
        '--db',
        join(state, 'x.db'),
        '--workdir',
        join(state, 'work'),
        '--listen',
        `127.0.0.1:${port}`,
        '--dns-listen',
        '127.0.0.1:0',
      ],
      {
        cwd: dir,
        env: { ...process.env, XPLANE_BOOTSTRAP_TOKEN: 'b', XPLANE_ADMIN_TOKEN: 'a', XPLANE_LOG_FORMAT: 'json' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8_000)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const end = Date.now() + 30_000;
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (res?.status === 200) break;
        assert.ok(child.exitCode === null, `serve exited: ${stderr}`);
        assert.ok(Date.now() < end, `not ready in 30 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const nodes = await fetch(`http://127.0.0.1:${port}/v1/nodes`, { headers: { authorization: 'Bearer a' } });
      assert.equal(nodes.status, 200);
      for (const file of ['', 'app.js', 'style.css']) {
        const res = await fetch(`http://127.0.0.1:${port}/ui/${file}`);
        assert.equal(res.status, 200, `the installed package serves /ui/${file}`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
