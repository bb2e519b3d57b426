// `xplane demo` (`npm start`): the local playground. A local bare Git repo
// seeded with this repo's example on the `local` target, the reconciler with
// inline converge, the embedded DNS server (or, with `--dns powerdns`, a
// local pdns_server), node processes on loopback — all on one machine.
import { errorText } from '../errors.js';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findPulumiCli, PulumiCliMissing } from '../converge/index.js';
import { git } from '../gitops/index.js';
import type { Logger } from '../log/index.js';
import { packageRoot } from '../package/index.js';
import { startControlPlane, type ControlPlane } from '../runtime/index.js';
import { resolveSettings } from '../settings/index.js';
import { canSeeProcesses, clearLeftovers, leftoverFacts, livePlayground, localStateDir, planLeftovers, wantedNodeAddresses } from './leftovers.js';
import { allProcesses, commandLine, descendantsOf, runs } from './proc.js';
import { startPlaygroundPowerDns, type PlaygroundPowerDns } from './powerdns.js';
import { clearStaleLocks } from './pulumi-locks.js';
import { writePlaygroundRepo, type PlaygroundDns } from './seed.js';

/** This xplane checkout: the seed of the playground repo. */
export const XPLANE_ROOT = packageRoot();

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
  /** Aborted when the person asks to stop: start-up ends early instead of starting what would be stopped at once. */
  signal?: AbortSignal;
  /** What answers DNS (default the embedded server); `powerdns` starts a local pdns_server on `dnsListen`. */
  dns?: PlaygroundDns;
}

/** The PowerDNS of each running `--dns powerdns` playground, stopped after its stacks are destroyed. */
const powerDnsOf = new WeakMap<ControlPlane, PlaygroundPowerDns>();

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

/** Creates the playground's bare repo (once) from this repo's example, its DNS answered by `dns`. */
export async function ensurePlaygroundRepo(dir: string, dns: PlaygroundDns = 'embedded'): Promise<string> {
  const bare = join(dir, 'platform.git');
  if (existsSync(join(bare, 'HEAD'))) return bare;
  const work = mkdtempSync(join(tmpdir(), 'xplane-demo-seed-'));
  try {
    await writePlaygroundRepo(XPLANE_ROOT, work, dns);
    await git(work, ['init', '--quiet', '--initial-branch=main']);
    await git(work, ['add', '-A']);
    const who = {
      GIT_AUTHOR_NAME: 'xplane demo',
      GIT_AUTHOR_EMAIL: 'demo@xplane.invalid',
      GIT_COMMITTER_NAME: 'xplane demo',
      GIT_COMMITTER_EMAIL: 'demo@xplane.invalid',
    };
    await git(work, ['commit', '--quiet', '-m', 'playground: the example on the local target'], { env: who });
    await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await git(work, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bare;
}

/** Where the inline converger keeps Pulumi state unless PULUMI_BACKEND_URL says otherwise (src/converge/inline.ts). */
function backendDir(dir: string, env: Record<string, string | undefined>): string | null {
  return env.PULUMI_BACKEND_URL === undefined ? join(dir, 'pulumi') : null;
}

/**
 * Tidies up after an earlier playground in `dir` that did not stop cleanly
 * (kill -9, a crash): stops its node agents, which would otherwise keep their
 * addresses and heartbeat a control plane that is gone, removes the stack
 * locks its converges left, and names any other program that holds an address
 * a node needs. Runs before the control plane, so the first converge sees the
 * nodes gone and starts them afresh.
 */
async function clearEarlierPlayground(
  dir: string,
  bare: string,
  branch: string,
  env: Record<string, string | undefined>,
  say: (line: string) => void,
): Promise<boolean> {
  if (!canSeeProcesses()) return true;
  // A playground still running here owns those nodes and locks: they are not leftovers.
  const live = livePlayground(dir, allProcesses());
  if (live !== undefined) {
    say(`another playground runs in ${dir} (pid ${live.pid}: ${commandLine(live)}); stop it first, or use another --dir`);
    return false;
  }
  const backend = backendDir(dir, env);
  if (backend !== null) clearStaleLocks(backend, say);
  await clearLeftovers(dir, await wantedNodeAddresses(bare, branch), 'start', say);
  return true;
}

/** Starts the playground; resolves once everything is up (nodes converge in the background), or null when it did not start (no Pulumi CLI, or `signal` stopped it first). */
export async function startDemo(opts: DemoOptions): Promise<ControlPlane | null> {
  const env = { ...(opts.env ?? process.env) };
  const dir = resolve(opts.dir);
  const cli = await ensurePulumiCli(opts.say, env);
  if (!cli || opts.signal?.aborted) return null;
  env.PULUMI_CLI_PATH = cli;
  env.PULUMI_CONFIG_PASSPHRASE ??= 'change-me';
  env.PULUMI_HOME ??= join(dir, 'pulumi-home');
  env.XPLANE_BOOTSTRAP_TOKEN ??= 'demo-bootstrap-token';
  env.XPLANE_ADMIN_TOKEN ??= 'demo-admin-token';
  mkdirSync(dir, { recursive: true });
  const dnsKind = opts.dns ?? 'embedded';
  const bare = await ensurePlaygroundRepo(dir, dnsKind);
  const seeded = /^\s*provider: (\S+)/m.exec(await git(bare, ['show', 'HEAD:platform-config/gtm/svc-plus.yaml']).catch(() => ''))?.[1];
  if ((seeded === 'powerdns') !== (dnsKind === 'powerdns')) {
    opts.say(
      `the playground in ${dir} answers DNS with dns.provider ${seeded ?? 'unknown'}: start it ${seeded === 'powerdns' ? 'with --dns powerdns' : 'without --dns powerdns'}, or use another --dir`,
    );
    return null;
  }
  const { settings } = resolveSettings({
    flags: {
      repo: bare,
      db: join(dir, 'xplane.db'),
      workdir: join(dir, 'work'),
      listen: opts.listen,
      // With PowerDNS, it has the DNS address and the embedded server is off.
      dns_listen: dnsKind === 'powerdns' ? 'off' : opts.dnsListen,
      dns_dir: join(localStateDir(dir), 'dns'),
      sync_interval: '2s',
      reconcile_interval: '2s',
      converge: 'inline',
    },
    env,
  });
  if (!(await clearEarlierPlayground(dir, bare, settings.branch, env, opts.say)) || opts.signal?.aborted) return null;
  const pdns = dnsKind === 'powerdns' ? await startPlaygroundPowerDns(dir, opts.dnsListen, opts.say) : undefined;
  if (pdns === null) return null;
  if (pdns) env.XPLANE_POWERDNS_API_KEY = pdns.apiKey;
  const plane = await startControlPlane(settings, opts.log, { env }).catch(async (err: unknown) => {
    await pdns?.server.stop();
    throw err;
  });
  if (pdns) powerDnsOf.set(plane, pdns);
  const admin = env.XPLANE_ADMIN_TOKEN;
  const dns = pdns ? `${pdns.server.dnsHost}:${pdns.server.dnsPort}` : (plane.dnsAddress ?? opts.dnsListen);
  const [dnsHost, dnsPort] = [dns.replace(/:\d+$/, ''), dns.replace(/^.*:/, '')];
  opts.say('');
  opts.say(`xplane playground is up — state in ${dir}`);
  opts.say(`  API        ${plane.url}   (admin token: ${admin})`);
  opts.say(`  DNS        ${dns} udp+tcp, zone svc.plus${pdns ? ` (PowerDNS ${pdns.version}; API ${pdns.server.apiUrl}, key ${pdns.apiKey})` : ''}`);
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

/** How long a stop waits for a running converge: a LocalNode create alone may wait 30 s for its agent. */
const CONVERGE_WAIT_MS = 60_000;

/** Waits (at most `timeoutMs`) until no Pulumi CLI runs as a child of this process, i.e. no converge is in flight. */
async function convergesEnded(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const running = (): boolean => allProcesses().some((p) => p.ppid === process.pid && runs(p, 'pulumi'));
  while (running() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Stops the playground: destroys its nodes, then the control plane, then
 * stops any agent of `dir` that still runs, so that (where /proc shows them)
 * no node outlives the stop, whatever the engine managed.
 */
export async function stopDemo(plane: ControlPlane, dir: string, say: (line: string) => void): Promise<void> {
  say('stopping: removing the playground’s nodes…');
  // The loop must not see the nodes go and scale up to replace them.
  await plane.reconciler.stop();
  await plane.inline?.stop();
  // The control plane runs its first converge outside the inline loop, so
  // inline.stop() does not wait for it. A destroy beside a running `up` races
  // it for the stack and loses: the up starts its nodes after the destroy.
  await convergesEnded(CONVERGE_WAIT_MS);
  try {
    for (const r of (await plane.inline?.destroyAll()) ?? []) if (r.status === 'failed') say(`could not destroy stack ${r.stack}: ${r.error ?? 'failed'}`);
  } catch (err) {
    say(`could not remove every node: ${errorText(err)}`);
  }
  await plane.stop();
  // A stop at start-up can come before the first converge has started its
  // CLI; that converge ends here, and the sweep stops what it started.
  await convergesEnded(CONVERGE_WAIT_MS);
  await clearLeftovers(dir, [], 'stop', say);
  // Last: the destroy above removed the records through its API.
  await powerDnsOf.get(plane)?.server.stop();
}

/**
 * The forced stop of a second signal: SIGKILL to every process below this one
 * (Pulumi CLIs, their plugins, agents a plugin is starting), then to every
 * agent of `dir`. Plugins go first, so none starts an agent after the scan.
 */
export function killPlayground(dir: string): void {
  const kill = (pid: number): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  if (!canSeeProcesses()) return;
  for (const p of descendantsOf(process.pid, allProcesses())) kill(p.pid);
  for (const s of planLeftovers(leftoverFacts(dir, [])).stop) kill(s.pid);
}
