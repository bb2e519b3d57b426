// The `local` target against the REAL Pulumi engine: `xplane converge` starts
// a real `xplane agent` process per node (a dynamic provider running in
// Pulumi's plugin process, bin/pulumi-resource-pulumi-nodejs) and writes the
// embedded DNS server's record file. Needs a Pulumi CLI (PULUMI_CLI_PATH,
// PATH, or the cache of scripts/build-pulumi-cli.sh); under CI a missing CLI
// is a failure, not a skip.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { REPO_ROOT, gitSync } from '../src/testing/index.js';
import { freePort } from './helpers/serve.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the engine tests: ${(err as Error).message}`, { cause: err });
}

/** The provider's own check: the pid is alive and is the agent of that node (not a zombie, not a recycled pid). */
const { isNodeProcess } = createRequire(import.meta.url)(join(REPO_ROOT, 'program/local/node-provider.cjs')) as {
  isNodeProcess: (pid: number, name: string) => boolean;
};

interface NodeOutput {
  name: string;
  ip?: string;
  address?: string;
  pid?: number;
}

interface Result {
  stack: string;
  status: string;
  changes: Record<string, number>;
  outputs: { services?: Record<string, { nodes: NodeOutput[]; recordFile?: string }> };
  error: string | null;
}

const TOKEN = 'local-engine-token-3f9e';
const NODE_1 = 'jp-svc-plus-1';
const NODE_2 = 'jp-svc-plus-2';

function stackYaml(nodes: string[], excluded: string[], controlPlaneUrl: string): string {
  // The example stack's salt: made with the passphrase change-me.
  const salt = /^encryptionsalt: .*$/m.exec(readFileSync(join(REPO_ROOT, 'stacks/Pulumi.jp.yaml'), 'utf8'))?.[0] ?? '';
  return `config:
  xplane:region: jp
  xplane:controlPlaneUrl: ${controlPlaneUrl}
  xplane:pools:
    svc-plus:
      weight: 100
      nodes: [${nodes.join(', ')}]
      excluded: [${excluded.join(', ')}]
${salt}
`;
}

function gtmYaml(port: number): string {
  return `service: svc-plus
domain: api.svc.plus
regions:
  - name: jp
    weight: 100
    min_ready_nodes: 1
    fallback: true
health:
  type: http
  path: /healthz
  port: ${port}
  interval: 5s
  timeout: 2s
dns:
  provider: local
  zone: svc.plus
  ttl: 30
`;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe(
  'the local target with the real Pulumi engine',
  { skip: cli === undefined ? 'no Pulumi CLI here (scripts/build-pulumi-cli.sh builds one)' : false },
  () => {
    let repo: string;
    let port: number;
    let controlPlaneUrl: string;
    /** Every agent pid seen in the stack outputs, killed in `after` whatever happened. */
    const pids = new Map<number, string>();
    const env: Record<string, string> = {
      PULUMI_CONFIG_PASSPHRASE: 'change-me',
      PULUMI_CLI_PATH: cli ?? '',
      XPLANE_BOOTSTRAP_TOKEN: TOKEN,
      // Reaches the agents (the provider passes XPLANE_* on), so their logs say what happened.
      XPLANE_LOG_LEVEL: 'info',
      // converge puts <repo>/bin on the CLI's PATH; this temp repo has no bin/, so the plugin comes from the checkout's.
      PATH: [join(REPO_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter),
    };
    const stateDir = (): string => join(repo, '.xplane', 'local');
    const recordFile = (): string => join(stateDir(), 'dns', 'api.svc.plus', 'jp.json');
    const nodeLog = (name: string): string => {
      const file = join(stateDir(), 'nodes', `${name}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '(no log)';
    };

    async function converge(...extra: string[]): Promise<Result> {
      const res: CliResult = await runCli(['converge', '--stack', 'jp', '--dir', repo, '--json', ...extra], { env, timeoutMs: 240_000 });
      let results: Result[] = [];
      try {
        results = JSON.parse(res.stdout) as Result[];
      } catch {
        assert.fail(`converge printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
      }
      const [result] = results;
      for (const node of result?.outputs.services?.['svc-plus']?.nodes ?? []) if (node.pid !== undefined) pids.set(node.pid, node.name);
      assert.equal(res.code, 0, `${result?.error ?? ''}\n${res.stderr}\nlogs:\n${nodeLog(NODE_1)}\n${nodeLog(NODE_2)}`);
      assert.ok(result);
      return result;
    }

    const nodeOf = (result: Result, name: string): NodeOutput | undefined => result.outputs.services?.['svc-plus']?.nodes.find((n) => n.name === name);

    before(async () => {
      repo = mkdtempSync(join(tmpdir(), 'xplane-local-engine-'));
      env.PULUMI_HOME = join(repo, '.xplane', 'pulumi-home');
      port = await freePort();
      // Nothing listens here: the agents keep retrying their registration, which is all this test needs of them.
      controlPlaneUrl = `http://127.0.0.1:${await freePort()}`;
      for (const path of ['Pulumi.yaml', 'program', '.gitignore']) cpSync(join(REPO_ROOT, path), join(repo, path), { recursive: true });
      for (const dir of ['platform-config/regions', 'platform-config/gtm', 'stacks']) mkdirSync(join(repo, dir), { recursive: true });
      writeFileSync(join(repo, 'platform-config/regions/jp.yaml'), 'name: jp\nprovider: local\n');
      writeFileSync(join(repo, 'platform-config/gtm/svc-plus.yaml'), gtmYaml(port));
      writeFileSync(join(repo, 'stacks/Pulumi.jp.yaml'), stackYaml([NODE_1, NODE_2], [NODE_2], controlPlaneUrl));
      gitSync(repo, 'init', '--quiet', '--initial-branch=main');
      gitSync(repo, 'add', '-A');
      gitSync(repo, 'commit', '--quiet', '-m', 'seed');
    });

    after(() => {
      // Kill every agent this test may have started, even when an assertion failed half-way: the stack
      // outputs' pids, and the pid files for a converge that failed before printing outputs.
      const nodesDir = join(stateDir(), 'nodes');
      for (const file of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
        if (file.endsWith('.pid')) pids.set(Number(readFileSync(join(nodesDir, file), 'utf8')), file.slice(0, -'.pid'.length));
      }
      for (const [pid, name] of pids) {
        if (isNodeProcess(pid, name)) process.kill(pid, 'SIGKILL');
      }
      rmSync(repo, { recursive: true, force: true });
    });

    it('starts an agent per node on its loopback address and writes the record file of the nodes in DNS', async () => {
      const result = await converge();
      assert.equal(result.status, 'succeeded');
      const node1 = nodeOf(result, NODE_1);
      const node2 = nodeOf(result, NODE_2);
      assert.equal(node1?.address, `127.1.1.1:${port}`);
      assert.equal(node2?.address, `127.1.1.2:${port}`);
      assert.ok(node1.pid !== undefined && isNodeProcess(node1.pid, NODE_1), `${NODE_1} runs`);
      assert.ok(node2.pid !== undefined && isNodeProcess(node2.pid, NODE_2), `${NODE_2} runs too: excluded only keeps it out of DNS`);

      const health = await fetch(`http://127.1.1.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((await fetch(`http://127.1.1.2:${port}/healthz`)).status, 200);

      assert.equal(result.outputs.services?.['svc-plus']?.recordFile, recordFile());
      assert.deepEqual(JSON.parse(readFileSync(recordFile(), 'utf8')), {
        domain: 'api.svc.plus',
        region: 'jp',
        ttl: 30,
        zone: 'svc.plus',
        // The SOA serial of the embedded DNS: the commit time of the configuration converged.
        serial: Number(gitSync(repo, 'log', '-1', '--format=%ct', 'HEAD')),
        records: [{ node: NODE_1, ip: '127.1.1.1', weight: 100 }],
      });
      assert.equal(readdirSync(join(stateDir(), 'dns', 'api.svc.plus')).length, 1, 'no temp file left behind');
      assert.equal(gitSync(repo, 'status', '--porcelain'), '', 'the local state stays out of Git (.xplane/ is ignored)');
    });

    it('changes nothing on a second converge, and leaves the agents running', async () => {
      const before1 = [...pids.keys()];
      const result = await converge();
      assert.deepEqual(Object.keys(result.changes), ['same']);
      assert.equal(nodeOf(result, NODE_1)?.pid, before1[0]);
      assert.ok(before1.every((pid) => isNodeProcess(pid, pids.get(pid) ?? '')));
    });

    it('starts a node again on converge --refresh when its process died', async () => {
      const before1 = await converge();
      const old = nodeOf(before1, NODE_2)?.pid;
      assert.ok(old !== undefined);
      process.kill(old, 'SIGKILL');
      for (let i = 0; i < 50 && isNodeProcess(old, NODE_2); i += 1) await new Promise((r) => setTimeout(r, 100));
      const result = await converge('--refresh');
      const fresh = nodeOf(result, NODE_2)?.pid;
      assert.ok(fresh !== undefined && fresh !== old, 'a new process');
      assert.ok(isNodeProcess(fresh, NODE_2));
      assert.equal((await fetch(`http://127.1.1.2:${port}/healthz`)).status, 200);
      assert.equal(nodeOf(result, NODE_1)?.pid, nodeOf(before1, NODE_1)?.pid, 'the live node was left alone');
    });

    it('stops the agent and drops its record when the node leaves the stack', async () => {
      const before1 = await converge();
      const pid1 = nodeOf(before1, NODE_1)?.pid;
      assert.ok(pid1 !== undefined);
      writeFileSync(join(repo, 'stacks/Pulumi.jp.yaml'), stackYaml([NODE_2], [NODE_2], controlPlaneUrl));
      const result = await converge();
      assert.equal(result.changes.delete, 1, JSON.stringify(result.changes));
      assert.equal(isNodeProcess(pid1, NODE_1), false, 'the agent is gone');
      assert.equal(await canConnect('127.1.1.1', port), false, 'its address is free');
      assert.deepEqual(nodeOf(result, NODE_1), undefined);
      assert.deepEqual((JSON.parse(readFileSync(recordFile(), 'utf8')) as { records: unknown[] }).records, []);
      assert.ok(!existsSync(join(stateDir(), 'nodes', `${NODE_1}.pid`)));
      const pid2 = nodeOf(result, NODE_2)?.pid;
      assert.ok(pid2 !== undefined && isNodeProcess(pid2, NODE_2), 'the other node keeps running');
    });
  },
);
