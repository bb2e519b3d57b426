// The project run by the Pulumi CLI itself, the way pulumi/actions runs it —
// `pulumi preview --stack jp`, `pulumi up`, `pulumi destroy` — not through
// `xplane converge`: the repo's own Pulumi.yaml (runtime options: tsx, no
// ts-node), program/ and @pulumi/pulumi's program runner, with the real engine
// on a file backend, in a playground copy of the repo on the `local` target.
// The language host is the official pulumi-language-nodejs when it sits next
// to the CLI, else scripts/langhost (the official one cannot be built here).
// Needs a Pulumi CLI; under CI a missing CLI is a failure, not a skip.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { writePlaygroundRepo } from '../src/demo/index.js';
import { REPO_ROOT } from '../src/testing/index.js';
import { freePort } from './helpers/serve.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the engine tests: ${(err as Error).message}`, { cause: err });
}

/** The provider's own check: the pid is alive and is the agent of that node. */
const { isNodeProcess } = createRequire(import.meta.url)(join(REPO_ROOT, 'program/local/node-provider.cjs')) as {
  isNodeProcess: (pid: number, name: string) => boolean;
};

const NODE = 'jp-svc-plus-1';
/** Every pulumi command gets this long; the slowest (the first `up`) takes about 12 s here. */
const COMMAND_TIMEOUT_MS = 180_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface StackOutputs {
  region?: string;
  services?: Record<string, { nodes: { name: string; address?: string; pid?: number }[]; recordFile?: string }>;
}

interface Export {
  deployment: { resources?: { type: string; urn: string }[] };
}

describe(
  'pulumi preview / up / destroy run by the Pulumi CLI directly',
  { skip: cli === undefined ? 'no Pulumi CLI here (scripts/build-pulumi-cli.sh builds one)' : false },
  () => {
    let repo: string;
    let port: number;
    let env: Record<string, string | undefined>;
    const pids = new Set<number>();

    function pulumi(...args: string[]): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(cli ?? 'pulumi', args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    }

    async function ok(...args: string[]): Promise<Run> {
      const res = await pulumi(...args);
      assert.equal(res.code, 0, `pulumi ${args.join(' ')} exited ${res.code}:\n${res.stdout}\n${res.stderr}\nagent log:\n${nodeLog()}`);
      return res;
    }

    const stateDir = (): string => join(repo, '.xplane', 'local');
    const recordFile = (): string => join(stateDir(), 'dns', 'api.svc.plus', 'jp.json');
    const nodeLog = (): string => {
      const file = join(stateDir(), 'nodes', `${NODE}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-5).join('\n') : '(no log)';
    };

    async function outputs(): Promise<StackOutputs> {
      const res = await ok('stack', 'output', '--stack', 'jp', '--json');
      const out = JSON.parse(res.stdout) as StackOutputs;
      for (const node of out.services?.['svc-plus']?.nodes ?? []) if (node.pid !== undefined) pids.add(node.pid);
      return out;
    }

    async function resourceTypes(): Promise<string[]> {
      const res = await ok('stack', 'export', '--stack', 'jp');
      return ((JSON.parse(res.stdout) as Export).deployment.resources ?? []).map((r) => r.type).sort();
    }

    before(async () => {
      repo = mkdtempSync(join(tmpdir(), 'xplane-pulumi-direct-'));
      await writePlaygroundRepo(REPO_ROOT, repo);
      // The program imports ../src and @pulumi/pulumi; package.json makes it the ESM package tsx loads.
      cpSync(join(REPO_ROOT, 'package.json'), join(repo, 'package.json'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'));
      symlinkSync(join(REPO_ROOT, 'src'), join(repo, 'src'));
      // Its own health port, so the agent can run beside a playground on the default one.
      port = await freePort();
      const gtm = join(repo, 'platform-config/gtm/svc-plus.yaml');
      const text = readFileSync(gtm, 'utf8');
      assert.match(text, /^\s*port: 8080$/m, 'the playground gtm file still has its health port');
      writeFileSync(gtm, text.replace(/^(\s*)port: 8080$/m, `$1port: ${port}`));
      // Without the developer's own backend and token: the stacks live in the temporary file backend.
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PULUMI_BACKEND_URL' && k !== 'PULUMI_ACCESS_TOKEN'));
      env = {
        ...inherited,
        PULUMI_HOME: join(repo, '.xplane', 'pulumi-home'),
        PULUMI_CONFIG_PASSPHRASE: 'change-me',
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        XPLANE_BOOTSTRAP_TOKEN: 'pulumi-direct-token-7c1d',
        XPLANE_LOG_LEVEL: 'info',
        // The CLI's folder first: an official language host installed with the CLI wins over scripts/langhost.
        PATH: [dirname(cli ?? ''), join(REPO_ROOT, 'scripts/langhost'), join(REPO_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter),
      };
      mkdirSync(join(repo, '.xplane', 'state'), { recursive: true });
      await ok('login', `file://${join(repo, '.xplane', 'state')}`);
      await ok('stack', 'init', 'jp');
      // Nothing listens there: the agent keeps retrying its registration, which is all this test needs of it.
      await ok('config', 'set', '--stack', 'jp', 'xplane:controlPlaneUrl', `http://127.0.0.1:${await freePort()}`);
    });

    after(() => {
      const nodesDir = join(stateDir(), 'nodes');
      for (const file of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
        if (file.endsWith('.pid')) pids.add(Number(readFileSync(join(nodesDir, file), 'utf8')));
      }
      for (const pid of pids) if (isNodeProcess(pid, NODE)) process.kill(pid, 'SIGKILL');
      rmSync(repo, { recursive: true, force: true });
    });

    it('previews the region stack from Pulumi.yaml and program/: a node pool, its node and the DNS records, nothing started', async () => {
      const res = await ok('preview', '--stack', 'jp', '--json');
      const preview = JSON.parse(res.stdout) as { changeSummary: Record<string, number>; steps: { op: string; urn: string }[] };
      assert.deepEqual(preview.changeSummary, { create: 4 });
      const created = preview.steps.map((s) => s.urn.slice(s.urn.lastIndexOf('::') + 2));
      assert.deepEqual(created.sort(), ['jp-svc-plus-1', 'svc-plus', 'svc-plus-dns', 'xplane-jp']);
      assert.ok(!existsSync(join(stateDir(), 'nodes', `${NODE}.pid`)), 'a preview starts no agent');
    });

    it('pulumi up starts the agent on its loopback address and writes the record file', async () => {
      await ok('up', '--stack', 'jp', '--yes');
      const out = await outputs();
      const node = out.services?.['svc-plus']?.nodes.find((n) => n.name === NODE);
      assert.equal(node?.address, `127.1.1.1:${port}`);
      assert.ok(node.pid !== undefined && isNodeProcess(node.pid, NODE), 'the agent runs');
      assert.equal((await fetch(`http://127.1.1.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) })).status, 200);
      assert.equal(out.services?.['svc-plus']?.recordFile, recordFile());
      assert.deepEqual((JSON.parse(readFileSync(recordFile(), 'utf8')) as { records: unknown[] }).records, [{ node: NODE, ip: '127.1.1.1', weight: 100 }]);
      assert.deepEqual(await resourceTypes(), [
        'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
        'pulumi-nodejs:dynamic/xplane:LocalNode',
        'pulumi:providers:pulumi-nodejs',
        'pulumi:pulumi:Stack',
        'xplane:local:NodePool',
      ]);
    });

    it('a second pulumi up changes nothing and leaves the agent running', async () => {
      const pid = (await outputs()).services?.['svc-plus']?.nodes[0]?.pid;
      await ok('up', '--stack', 'jp', '--yes', '--expect-no-changes');
      assert.equal((await outputs()).services?.['svc-plus']?.nodes[0]?.pid, pid);
      assert.ok(pid !== undefined && isNodeProcess(pid, NODE));
    });

    it('pulumi destroy stops the agent and removes the record file', async () => {
      const pid = (await outputs()).services?.['svc-plus']?.nodes[0]?.pid;
      assert.ok(pid !== undefined);
      await ok('destroy', '--stack', 'jp', '--yes');
      for (let i = 0; i < 50 && isNodeProcess(pid, NODE); i += 1) await new Promise((r) => setTimeout(r, 100));
      assert.equal(isNodeProcess(pid, NODE), false, 'the agent is gone');
      assert.ok(!existsSync(recordFile()), 'the record file is gone');
      assert.deepEqual(await resourceTypes(), []);
    });
  },
);
