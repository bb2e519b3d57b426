// The aws node's user data, proven on a Debian 12 root: the region stack
// renders jp-svc-plus-1's user data under Pulumi mocks, the cloud-init of the
// root validates it (`cloud-init schema`), and a fresh copy of the root boots
// under systemd-nspawn with that user data as its NoCloud seed, so systemd's
// generator enables cloud-init and cloud-init's own units run write_files and
// runcmd as on EC2. The node finds Node.js, curl, ip and nft in the image
// (nothing installed), learns its addresses from a fake IMDSv2, fetches the
// agent from a real `xplane serve` and checks its SHA-256, and systemd starts
// it as a DynamicUser. It must register as jp-svc-plus-1 at 127.10.0.2:8080
// (its "public IP", which the address step puts on lo) and become active;
// then the agent is SIGKILLed and the unit's restart policy must bring it back.
//
// Namespaces: a container booted on the host's network disturbed other tests'
// loopback servers, so this file re-runs itself (the "boot job", env
// XPLANE_NODE_BOOT_JOB) in private network, PID and mount namespaces
// (runInPrivateNamespaces): serve, the fake IMDS on 169.254.169.254:80 and the
// container all share that namespace's lo, the container gets CAP_NET_ADMIN for
// `ip address replace` and `nft` (nspawn grants it only with its own
// --private-network), and when the job ends the kernel ends all of it. The job
// reports what it saw as JSON; the tests here assert on that.
//
// The root comes from scripts/debian-root.sh, cached by release under
// ~/.cache/xplane (a cold build is about 45 s from the host's Debian archive); needs root,
// systemd-nspawn, unshare, nsenter and ip. Without them the tests skip, except
// under CI (env CI set): there they fail. `npm run test:node-boot` runs only this file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { AGENT_PATHS } from '../program/user-data.js';
import { errorText } from '../src/errors.js';
import { startFakeImds, type ImdsRequest } from './helpers/fake-imds.js';
import { makeGitFixture, REPO_ROOT } from '../src/testing/index.js';
import {
  bootContainer,
  bootMissing,
  copyRoot,
  debianRoot,
  netnsOf,
  processes,
  run,
  runInPrivateNamespaces,
  type ProcInfo,
  type Run,
} from './helpers/nspawn.js';

const JOB_ENV = 'XPLANE_NODE_BOOT_JOB';
const RELEASE = 'bookworm';
const NODE = 'jp-svc-plus-1';
// Inside the private network namespace nothing else listens: xplane's default port is free.
const SERVE_URL = 'http://127.0.0.1:7070';
const PUBLIC_IP = '127.10.0.2';
const PRIVATE_IP = '127.10.0.1';
const HEALTH_PORT = 8080; // the gtm health port of svc-plus in the example
const INSTANCE = 'aws:ec2/instance:Instance';

/** What the boot job is given (written by the tests, read by the job). */
interface BootJob {
  root: string;
  dir: string;
  machine: string;
  bootstrapToken: string;
  adminToken: string;
  factsPath: string;
}

/** A node as GET /v1/nodes shows it (the fields read here). */
interface NodeRow {
  name: string;
  service: string;
  region: string;
  address: string;
  state: string;
  stateSince: string;
  registeredAt: string;
}

/** cloud-init's /run/cloud-init/status.json: start and end (epoch seconds) and errors of each stage. */
interface CloudInitStatus {
  v1: Record<string, { start: number | null; finished: number | null; errors: string[] } | string | null>;
}

/** What the boot job saw; everything optional, since it reports as far as it got. */
interface BootFacts {
  error?: string;
  bootStartedAt?: number;
  registered?: NodeRow;
  active?: NodeRow;
  cloudInit?: { status: Run; stages?: CloudInitStatus; warnings: string[] };
  agent?: ProcInfo;
  unit?: Record<string, string>;
  loAddresses?: string;
  nft?: string;
  healthz?: number;
  imds: ImdsRequest[];
  restart?: { killedPid: number; killedAt: number; agent?: ProcInfo; registered?: NodeRow; active?: NodeRow; nRestarts?: string };
  agentJournal?: string;
  console?: string;
  serveLog?: string;
  poweroff?: 'clean' | 'killed';
}

/** Polls `check` every 200 ms until it returns a value; a throw counts as "not yet". */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const log = (line: string): boolean => process.stderr.write(`node-boot: ${line}\n`);

// ---------------------------------------------------------------------------------------------
// The boot job: runs as PID 1 of its own namespaces (see the header), reports facts as JSON.

async function bootJob(jobPath: string): Promise<void> {
  const job = JSON.parse(readFileSync(jobPath, 'utf8')) as BootJob;
  const facts: BootFacts = { imds: [] };
  const cleanups: (() => unknown)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse())
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => log(`cleanup: ${errorText(err)}`));
  };
  process.once('SIGTERM', () => {
    log('SIGTERM: cleaning up');
    facts.error ??= 'the boot job got SIGTERM (took too long)';
    void cleanUp().finally(() => {
      writeFileSync(job.factsPath, JSON.stringify(facts));
      process.exit(1);
    });
  });

  try {
    // The metadata service's address, on this namespace's lo.
    const ip = await run('ip', ['address', 'add', '169.254.169.254/32', 'dev', 'lo']);
    if (ip.code !== 0) throw new Error(`ip address add 169.254.169.254/32 dev lo: ${ip.stderr}`);

    const imds = await startFakeImds({ metadata: { 'public-ipv4': PUBLIC_IP, 'local-ipv4': PRIVATE_IP } });
    facts.imds = imds.requests;
    cleanups.push(() => imds.close());

    const fixture = makeGitFixture();
    cleanups.push(() => fixture.cleanup());
    const serve = startServeAt(SERVE_URL, fixture.bare, join(job.dir, 'serve'), {
      XPLANE_BOOTSTRAP_TOKEN: job.bootstrapToken,
      XPLANE_ADMIN_TOKEN: job.adminToken,
    });
    cleanups.push(() => serve.stop());
    cleanups.push(() => void (facts.serveLog = serve.stderr().slice(-3000)));
    await until(
      'xplane serve to answer /readyz',
      async () => ((await fetch(`${SERVE_URL}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200 ? true : undefined),
      30_000,
    );
    log('serve is ready');

    const nodeRow = async (): Promise<NodeRow | undefined> => {
      const res = await fetch(`${SERVE_URL}/v1/nodes`, { headers: { authorization: `Bearer ${job.adminToken}` }, signal: AbortSignal.timeout(2_000) });
      if (res.status !== 200) throw new Error(`GET /v1/nodes: ${res.status}`);
      return ((await res.json()) as NodeRow[]).find((n) => n.name === NODE);
    };
    const agentProcess = (): ProcInfo | undefined =>
      processes().find((p) => p.argv[1] === AGENT_PATHS.agent && p.argv.join(' ').includes(`--name ${NODE}`) && p.netns === netnsOf('self'));

    facts.bootStartedAt = Date.now();
    const container = bootContainer({
      root: job.root,
      machine: job.machine,
      netnsPath: `/proc/${process.pid}/ns/net`,
      consoleLog: join(job.dir, 'console.log'),
      capabilities: ['CAP_NET_ADMIN'],
    });
    const cloudInitFacts = async (wait: boolean): Promise<NonNullable<BootFacts['cloudInit']>> => {
      const read = (path: string): string => {
        try {
          return readFileSync(join(job.root, path), 'utf8');
        } catch {
          return '';
        }
      };
      const stages = read('var/lib/cloud/data/status.json');
      return {
        status: await container.exec(['cloud-init', 'status', '--long', ...(wait ? ['--wait'] : [])], wait ? 60_000 : 10_000),
        ...(stages === '' ? {} : { stages: JSON.parse(stages) as CloudInitStatus }),
        warnings: read('var/log/cloud-init.log')
          .split('\n')
          .filter((l) => l.includes('[WARNING]')),
      };
    };
    cleanups.push(async () => {
      // What the node's cloud-init, agent and console said, for a failing assertion's message.
      facts.cloudInit ??= await cloudInitFacts(false);
      facts.agentJournal = (await container.exec(['journalctl', '--no-pager', '-o', 'short-monotonic', '-u', 'xplane-agent.service'])).stdout.slice(-4000);
      facts.poweroff = await container.poweroff(20_000);
      facts.console = container.console(6000);
    });
    log(`booting ${job.root}`);

    facts.registered = await until(`${NODE} to register`, nodeRow, 120_000);
    log(`registered: ${facts.registered.state}`);
    facts.active = await until(
      `${NODE} to be active`,
      async () => {
        const row = await nodeRow();
        return row?.state === 'active' ? row : undefined;
      },
      120_000,
    );
    log('active');

    // cloud-init has finished by now (runcmd started the unit); ask it, and read its stage times.
    facts.cloudInit = await cloudInitFacts(true);
    facts.agent = agentProcess();
    facts.unit = parseProperties(
      (await container.exec(['systemctl', 'show', 'xplane-agent.service', '-p', 'Restart,RestartUSec,NRestarts,DynamicUser,ActiveState,SubState'])).stdout,
    );
    // The node's view (its own ip and nft; the network namespace is the one it shares with serve).
    facts.loAddresses = (await container.exec(['ip', '-o', 'address', 'show', 'dev', 'lo'])).stdout;
    facts.nft = (await container.exec(['nft', 'list', 'table', 'ip', 'xplane'])).stdout;
    facts.healthz = (await fetch(`http://${PUBLIC_IP}:${HEALTH_PORT}/healthz`, { signal: AbortSignal.timeout(2_000) })).status;

    // SIGKILL the agent, from outside the container: systemd's Restart= must bring it back.
    if (facts.agent === undefined) throw new Error('no agent process found in the container');
    const before = facts.active;
    const killedAt = Date.now();
    process.kill(facts.agent.pid, 'SIGKILL');
    const restart: NonNullable<BootFacts['restart']> = { killedPid: facts.agent.pid, killedAt };
    facts.restart = restart;
    log(`killed the agent (pid ${facts.agent.pid})`);
    restart.registered = await until(
      'the agent to register again',
      async () => {
        const row = await nodeRow();
        return row !== undefined && row.registeredAt !== before.registeredAt ? row : undefined;
      },
      60_000,
    );
    restart.agent = agentProcess();
    restart.active = await until(
      'the node to be active again',
      async () => {
        const row = await nodeRow();
        return row?.state === 'active' && row.registeredAt === restart.registered?.registeredAt ? row : undefined;
      },
      60_000,
    );
    restart.nRestarts = parseProperties((await container.exec(['systemctl', 'show', 'xplane-agent.service', '-p', 'NRestarts'])).stdout).NRestarts;
    log('active again');
  } catch (err) {
    facts.error = (err as Error).stack ?? String(err);
    log(facts.error);
  } finally {
    await cleanUp();
    writeFileSync(job.factsPath, JSON.stringify(facts));
  }
}

/** `Key=value` lines of `systemctl show`. */
function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** `xplane serve` from dist on a fixed listen address (test/helpers/serve.ts picks a free port; here the namespace is empty). */
function startServeAt(url: string, repo: string, state: string, env: Record<string, string>): { child: ChildProcess; stderr(): string; stop(): Promise<void> } {
  mkdirSync(state, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/xplane.js'),
      'serve',
      '--listen',
      new URL(url).host,
      '--dns-listen',
      '127.0.0.1:0',
      '--repo',
      repo,
      '--db',
      join(state, 'x.db'),
      '--workdir',
      join(state, 'work'),
    ],
    {
      env: { ...process.env, XPLANE_LOG_FORMAT: 'json', XPLANE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
  return {
    child,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The tests.

const jobPath = process.env[JOB_ENV];
if (jobPath !== undefined) {
  await bootJob(jobPath);
  process.exit(0);
}

const missing = bootMissing();
if (missing.length > 0 && process.env.CI) throw new Error(`CI must boot the Debian 12 node: this machine lacks ${missing.join(', ')}`);

/** The host's addresses, routes and links, one line each: the namespaces must leave them as they were. */
async function hostNetwork(): Promise<string> {
  const parts = await Promise.all([
    run('ip', ['-o', 'address', 'show']),
    run('ip', ['-o', 'route', 'show', 'table', 'all']),
    run('ip', ['-o', 'link', 'show']),
  ]);
  return parts.map((p) => p.stdout).join('\n');
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const at = (iso: string): number => Date.parse(iso);

describe(`a Debian 12 node booted from the aws user data (${RELEASE})`, { skip: missing.length > 0 ? `needs ${missing.join(', ')}` : false }, () => {
  const started = performance.now();
  let dir = '';
  let root = '';
  let rootBuilt: boolean | undefined;
  let userData = '';
  let agentSha256 = '';
  let hostBefore = '';
  let facts: BootFacts | undefined;
  let job: Awaited<ReturnType<typeof runInPrivateNamespaces>> | undefined;
  const bootstrapToken = randomBytes(16).toString('hex');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xplane-node-boot-'));
    root = join(dir, 'root');
    hostBefore = await hostNetwork();
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** The facts of the boot, or a failure saying the boot never got that far. */
  const booted = (): BootFacts => {
    assert.ok(facts, 'the boot job did not run (see the failure above)');
    return facts;
  };
  /** A failure message with what the job, the agent's journal and the console said. */
  const context = (): string => {
    const f = facts ?? { imds: [] };
    return [
      f.error ? `boot job error: ${f.error}` : '',
      `--- cloud-init status --long ---\n${f.cloudInit?.status.stdout ?? ''}${f.cloudInit?.status.stderr ?? ''}`,
      `--- xplane-agent journal ---\n${f.agentJournal ?? ''}`,
      `--- console (tail) ---\n${f.console ?? ''}`,
      `--- serve (tail) ---\n${f.serveLog ?? ''}`,
      `--- boot job stderr (tail) ---\n${job?.stderr.slice(-3000) ?? ''}`,
    ].join('\n');
  };

  it('copies a fresh root from the Debian 12 root cached by scripts/debian-root.sh', { timeout: 20 * 60_000 }, async (t) => {
    const cached = await debianRoot(RELEASE);
    rootBuilt = cached.built;
    t.diagnostic(`debian root: ${cached.built ? `built (cold) in ${seconds(cached.ms)}` : `cache hit (warm) in ${cached.ms} ms`}: ${cached.path}`);
    const copyMs = await copyRoot(cached.path, root);
    t.diagnostic(`fresh copy of the root: ${copyMs} ms`);
    for (const tool of ['usr/bin/node', 'usr/bin/curl', 'usr/bin/cloud-init', 'usr/lib/systemd/systemd', 'usr/sbin/nft', 'usr/bin/ip']) {
      assert.ok(readFileSync(join(root, tool)).length > 0, `the root has /${tool}`);
    }
  });

  it(
    'renders jp-svc-plus-1’s user data through the region stack under Pulumi mocks, and the root’s `cloud-init schema` accepts it',
    { timeout: 120_000 },
    async () => {
      const { installMocks, resolveAll, setStackConfig } = await import('../program/testing/pulumi-mocks.js');
      const mocks = await installMocks({ stack: 'jp' });
      const { xplaneProgram } = await import('../program/xplane-program.js');
      const { agentBundle } = await import('../program/agent-bundle.js');
      const seed = (parse(readFileSync(join(REPO_ROOT, 'stacks/Pulumi.jp.yaml'), 'utf8')) as { config: Record<string, unknown> }).config;
      setStackConfig({ ...seed, 'xplane:controlPlaneUrl': SERVE_URL, 'xplane:bootstrapToken': bootstrapToken }, ['xplane:bootstrapToken']);
      await resolveAll(await xplaneProgram({ root: REPO_ROOT, env: {} })());
      const instance = mocks.ofType(INSTANCE).find((r) => r.name === NODE);
      assert.ok(instance, `the jp stack makes an instance ${NODE}`);
      assert.ok(instance.secretInputs.includes('userData'), 'the user data reaches the engine as a secret');
      userData = String(instance.inputs.userData);
      agentSha256 = agentBundle().sha256;
      assert.match(userData, /^#cloud-config\n/);
      assert.match(userData, new RegExp(`^\\s*want=${agentSha256}$`, 'm'), 'the fetch step carries the SHA-256 of dist/agent/xplane-agent.mjs');

      // The node's own cloud-init (22.4 on bookworm) judges it: the one that will run it.
      writeFileSync(join(root, 'tmp/xplane-user-data'), userData);
      const schema = await run('chroot', [root, 'cloud-init', 'schema', '--config-file', '/tmp/xplane-user-data'], { timeoutMs: 60_000 });
      rmSync(join(root, 'tmp/xplane-user-data'));
      assert.equal(schema.code, 0, `cloud-init schema:\n${schema.stdout}${schema.stderr}`);
      assert.match(schema.stdout, /^Valid cloud-config: \/tmp\/xplane-user-data$/m);
      assert.equal(schema.stderr.trim(), '', 'no schema warnings or deprecations');
    },
  );

  it('boots the root under systemd, whose cloud-init units run the user data to `done` without errors', { timeout: 6 * 60_000 }, async (t) => {
    assert.ok(userData !== '', 'needs the rendered user data');
    // The NoCloud seed stands in for EC2's datasource: same user data, read from disk.
    const seed = join(root, 'var/lib/cloud/seed/nocloud');
    mkdirSync(seed, { recursive: true });
    writeFileSync(join(seed, 'user-data'), userData);
    writeFileSync(join(seed, 'meta-data'), `instance-id: ${NODE}\nlocal-hostname: ${NODE}\n`);
    writeFileSync(
      join(root, 'etc/cloud/cloud.cfg.d/90-xplane-node-boot.cfg'),
      [
        '# The node-boot test (test/node-boot.test.ts): the NoCloud seed stands in for EC2.',
        'datasource_list: [NoCloud, None]',
        '# minbase has no locales package, so en_US.UTF-8 cannot be generated; C.UTF-8 is built in.',
        'locale: C.UTF-8',
        '',
      ].join('\n'),
    );
    const adminToken = randomBytes(16).toString('hex');
    const boot: BootJob = { root, dir, machine: `xplane-node-boot-${process.pid}`, bootstrapToken, adminToken, factsPath: join(dir, 'facts.json') };
    const spec = join(dir, 'job.json');
    writeFileSync(spec, JSON.stringify(boot));
    // TMPDIR: what the job makes in temp dirs (the Git fixture) goes with this dir, even if it is killed.
    mkdirSync(join(dir, 'tmp'));
    const env: NodeJS.ProcessEnv = { ...process.env, [JOB_ENV]: spec, TMPDIR: join(dir, 'tmp') };
    delete env.NODE_TEST_CONTEXT; // the job is a script, not a test file reporting to this runner
    job = await runInPrivateNamespaces(fileURLToPath(import.meta.url), env, 4 * 60_000);
    try {
      facts = JSON.parse(readFileSync(boot.factsPath, 'utf8')) as BootFacts;
    } catch {
      assert.fail(`the boot job wrote no facts (exit ${job.code}, signal ${job.signal}):\n${job.stderr.slice(-4000)}`);
    }
    const f = booted();
    assert.equal(f.error, undefined, context());
    assert.equal(job.code, 0, context());

    const ci = f.cloudInit;
    assert.ok(ci, context());
    assert.equal(ci.status.code, 0, `cloud-init status --long:\n${ci.status.stdout}${ci.status.stderr}`);
    assert.match(ci.status.stdout, /^status: done$/m);
    assert.match(ci.status.stdout, /DataSourceNoCloud \[seed=\/var\/lib\/cloud\/seed\/nocloud\]/);
    assert.match(ci.status.stdout, /^boot_status_code: enabled-by-generator$/m, 'systemd’s generator enabled cloud-init, as on a real boot');
    for (const [stage, value] of Object.entries(ci.stages?.v1 ?? {})) {
      if (typeof value === 'object' && value !== null) assert.deepEqual(value.errors, [], `cloud-init stage ${stage} has errors`);
    }
    if (ci.warnings.length > 0)
      t.diagnostic(`cloud-init warnings (${ci.warnings.length}): ${ci.warnings.map((w) => w.replace(/^.*?\[WARNING\]: /, '')).join(' | ')}`);
    assert.equal(f.poweroff, 'clean', 'the container powers off cleanly on SIGTERM');
  });

  it('registers the node as jp-svc-plus-1 at its public address, which the address step put on lo, and takes it to active', (t) => {
    const f = booted();
    assert.ok(f.registered && f.active, context());
    assert.deepEqual(
      { name: f.active.name, service: f.active.service, region: f.active.region, address: f.active.address, state: f.active.state },
      { name: NODE, service: 'svc-plus', region: 'jp', address: `${PUBLIC_IP}:${HEALTH_PORT}`, state: 'active' },
    );
    assert.equal(f.healthz, 200, 'the agent answers /healthz on its public address');
    assert.match(f.loAddresses ?? '', new RegExp(`inet ${PUBLIC_IP.replaceAll('.', '\\.')}/32 `), 'the public IP is on lo');
    assert.match(
      f.nft ?? '',
      new RegExp(`ip daddr ${PRIVATE_IP} tcp dport ${HEALTH_PORT} dnat to ${PUBLIC_IP}`),
      'the health port is DNATed from the private IP',
    );
    // IMDSv2: a token first, then both addresses with it; nothing read without one.
    assert.deepEqual(
      f.imds
        .filter((r) => r.status === 200)
        .map((r) => `${r.method} ${r.path}`)
        .slice(0, 3),
      ['PUT /latest/api/token', 'GET /latest/meta-data/public-ipv4', 'GET /latest/meta-data/local-ipv4'],
    );
    assert.deepEqual(
      f.imds.filter((r) => r.status !== 200),
      [],
      'no request the metadata service refused',
    );

    const stages = f.cloudInit?.stages?.v1 ?? {};
    const stageStart = (name: string): number => {
      const stage = stages[name];
      return typeof stage === 'object' && stage !== null && stage.start !== null ? stage.start * 1000 : NaN;
    };
    const activeAt = at(f.active.stateSince);
    t.diagnostic(
      `boot start → registered: ${seconds(at(f.active.registeredAt) - (f.bootStartedAt ?? NaN))}, → active: ${seconds(activeAt - (f.bootStartedAt ?? NaN))}`,
    );
    t.diagnostic(
      `cloud-init start (init-local) → active: ${seconds(activeAt - stageStart('init-local'))}; user data's runcmd (modules-final) → active: ${seconds(activeAt - stageStart('modules-final'))}`,
    );
  });

  it('runs the agent it fetched from serve at the user data’s SHA-256, under systemd as a dynamic user', () => {
    const f = booted();
    const agentFile = readFileSync(join(root, AGENT_PATHS.agent.slice(1)));
    assert.equal(createHash('sha256').update(agentFile).digest('hex'), agentSha256);
    assert.ok(f.agent, `an agent process runs: ${context()}`);
    assert.deepEqual(f.agent.argv.slice(0, 2), [AGENT_PATHS.node, AGENT_PATHS.agent]);
    assert.ok(
      f.agent.argv.join(' ').includes(`--server ${SERVE_URL} --service svc-plus --region jp --name ${NODE} --address ${PUBLIC_IP}:${HEALTH_PORT}`),
      f.agent.argv.join(' '),
    );
    assert.notEqual(f.agent.uid, 0, 'the agent does not run as root');
    assert.ok(!f.agent.argv.includes(bootstrapToken), 'the token is not on the command line');
    assert.deepEqual(
      {
        DynamicUser: f.unit?.DynamicUser,
        Restart: f.unit?.Restart,
        RestartUSec: f.unit?.RestartUSec,
        ActiveState: f.unit?.ActiveState,
        SubState: f.unit?.SubState,
      },
      { DynamicUser: 'yes', Restart: 'always', RestartUSec: '2s', ActiveState: 'active', SubState: 'running' },
    );
  });

  it('brings the agent back after SIGKILL: systemd restarts it, it registers again and is active again', (t) => {
    const f = booted();
    const r = f.restart;
    assert.ok(r?.registered && r.active, `the agent came back: ${context()}`);
    assert.ok(r.agent, 'a new agent process runs');
    assert.notEqual(r.agent.pid, r.killedPid);
    assert.ok(at(r.registered.registeredAt) > at(f.active?.registeredAt ?? ''), 'registeredAt moved on');
    assert.equal(r.active.address, `${PUBLIC_IP}:${HEALTH_PORT}`);
    assert.ok(Number(r.nRestarts) >= 1, `NRestarts=${r.nRestarts}`);
    t.diagnostic(
      `restart: SIGKILL → registered again ${seconds(at(r.registered.registeredAt) - r.killedAt)}, → active again ${seconds(at(r.active.stateSince) - r.killedAt)}`,
    );
  });

  it('leaves nothing running in its namespaces and the host network as it was', async (t) => {
    assert.ok(job, 'the boot job ran');
    assert.ok(job.netns !== undefined && job.netns !== netnsOf('self'), `the job ran in a network namespace of its own (${job.netns})`);
    const left = processes().filter((p) => p.netns === job?.netns);
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.argv.join(' ')}`),
      [],
    );
    assert.equal(await hostNetwork(), hostBefore);
    t.diagnostic(`node-boot total: ${seconds(performance.now() - started)} (${rootBuilt === true ? 'cold: root built' : 'warm: root cached'})`);
  });
});
