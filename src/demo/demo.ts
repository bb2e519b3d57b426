// `xplane demo` (`npm start`): the local playground. A local bare Git repo
// seeded with this repo's example on the `local` target, the reconciler with
// inline converge, the embedded DNS server, node processes on loopback — all
// on one machine.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPulumiCli, PulumiCliMissing } from '../converge/pulumi-cli.js';
import { git } from '../gitops/index.js';
import type { Logger } from '../log/index.js';
import { startControlPlane, type ControlPlane } from '../runtime/control-plane.js';
import { resolveSettings } from '../settings/index.js';
import { writePlaygroundRepo } from './seed.js';

/** This xplane checkout: the seed of the playground repo. */
export const XPLANE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Options of the playground. */
export interface DemoOptions {
  /** Where the playground keeps everything (default .xplane/demo). */
  dir: string;
  /** API address (default 127.0.0.1:7070) and DNS address (default 127.0.0.1:5353). */
  listen: string;
  dnsListen: string;
  log: Logger;
  /** Lines for the person watching. */
  say: (line: string) => void;
  env?: Record<string, string | undefined>;
}

/** Finds a Pulumi CLI, building it from Go modules when Go is here; null with the advice printed otherwise. */
export async function ensurePulumiCli(say: (line: string) => void, env: Record<string, string | undefined>): Promise<string | null> {
  try {
    return await findPulumiCli(XPLANE_ROOT, env);
  } catch (err) {
    if (!(err instanceof PulumiCliMissing)) throw err;
  }
  const hasGo = (() => {
    try {
      execFileSync('go', ['version'], { stdio: 'ignore', env: { ...process.env, PATH: `/usr/local/go/bin:${env.PATH ?? ''}` } });
      return true;
    } catch {
      return false;
    }
  })();
  if (!hasGo) {
    say('No Pulumi CLI was found, and there is no Go toolchain to build one. Install one with:');
    say('  npm install pulumi          (downloads the CLI; or use Pulumi’s installer, see its docs)');
    say('or install Go and run npm start again: it then builds the CLI from Go modules.');
    return null;
  }
  say('No Pulumi CLI found: building one from Go modules, once (about 10 minutes on 2 cores; cached afterwards).');
  const script = join(XPLANE_ROOT, 'scripts', 'build-pulumi-cli.sh');
  const built = await new Promise<string>((done, fail) => {
    const child = spawn('bash', [script], { env: { ...process.env, PATH: `/usr/local/go/bin:${env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n')) if (line.trim() !== '') say(`  ${line}`);
    });
    child.on('close', (code) => (code === 0 ? done(out.trim().split('\n').at(-1) ?? '') : fail(new Error(`building the Pulumi CLI failed (exit ${code})`))));
  });
  return built;
}

/** Creates the playground's bare repo (once) from this repo's example. */
export async function ensurePlaygroundRepo(dir: string): Promise<string> {
  const bare = join(dir, 'platform.git');
  if (existsSync(join(bare, 'HEAD'))) return bare;
  const work = mkdtempSync(join(tmpdir(), 'xplane-demo-seed-'));
  try {
    await writePlaygroundRepo(XPLANE_ROOT, work);
    await git(work, ['init', '--quiet', '--initial-branch=main']);
    await git(work, ['add', '-A']);
    const who = { GIT_AUTHOR_NAME: 'xplane demo', GIT_AUTHOR_EMAIL: 'demo@xplane.invalid', GIT_COMMITTER_NAME: 'xplane demo', GIT_COMMITTER_EMAIL: 'demo@xplane.invalid' };
    await git(work, ['commit', '--quiet', '-m', 'playground: the example on the local target'], { env: who });
    await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await git(work, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bare;
}

/** Starts the playground; resolves once everything is up (nodes converge in the background). */
export async function startDemo(opts: DemoOptions): Promise<ControlPlane | null> {
  const env = { ...(opts.env ?? process.env) };
  const dir = resolve(opts.dir);
  const cli = await ensurePulumiCli(opts.say, env);
  if (!cli) return null;
  env.PULUMI_CLI_PATH = cli;
  env.PULUMI_CONFIG_PASSPHRASE ??= 'change-me';
  env.PULUMI_HOME ??= join(dir, 'pulumi-home');
  env.XPLANE_BOOTSTRAP_TOKEN ??= 'demo-bootstrap-token';
  env.XPLANE_ADMIN_TOKEN ??= 'demo-admin-token';
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const bare = await ensurePlaygroundRepo(dir);
  const { settings } = resolveSettings({
    flags: {
      repo: bare,
      db: join(dir, 'xplane.db'),
      workdir: join(dir, 'work'),
      listen: opts.listen,
      dns_listen: opts.dnsListen,
      dns_dir: join(dir, 'checkout', '.xplane', 'local', 'dns'),
      sync_interval: '2s',
      reconcile_interval: '2s',
      converge: 'inline',
    },
    env,
  });
  const plane = await startControlPlane(settings, opts.log, { env });
  const admin = env.XPLANE_ADMIN_TOKEN;
  const dns = plane.dnsAddress ?? opts.dnsListen;
  const [dnsHost, dnsPort] = [dns.replace(/:\d+$/, ''), dns.replace(/^.*:/, '')];
  opts.say('');
  opts.say(`xplane playground is up — state in ${dir}`);
  opts.say(`  API        ${plane.url}   (admin token: ${admin})`);
  opts.say(`  DNS        ${dns} udp+tcp, zone svc.plus`);
  opts.say(`  GitOps     ${bare}   (the loop commits here; converge runs inline)`);
  opts.say('');
  opts.say('Nodes are starting (two agents on 127.1.1.1 and 127.2.1.1). Then try:');
  opts.say(`  dig @${dnsHost} -p ${dnsPort} api.svc.plus`);
  opts.say(`  curl -s -H 'Authorization: Bearer ${admin}' ${plane.url}/v1/services/svc-plus`);
  opts.say(`  curl -s -H 'Authorization: Bearer ${admin}' ${plane.url}/v1/nodes`);
  opts.say(`  npx xplane load --qps 200 --dns ${dns}      # CPU rises → an autoscale commit → a new node`);
  opts.say(`  git --git-dir ${bare} log -p stacks/        # the loop's commits`);
  opts.say('Ctrl-C stops the playground and its nodes.');
  return plane;
}

/** Stops the playground: destroys its nodes, then the control plane. */
export async function stopDemo(plane: ControlPlane, say: (line: string) => void): Promise<void> {
  say('stopping: removing the playground’s nodes…');
  // The loop must not see the nodes go and scale up to replace them.
  await plane.reconciler.stop();
  await plane.inline?.stop();
  try {
    await plane.inline?.destroyAll();
  } catch (err) {
    say(`could not remove every node: ${err instanceof Error ? err.message : String(err)}`);
  }
  await plane.stop();
}
