// `xplane drift` and `xplane preview`'s per-resource diff against the REAL
// Pulumi engine, on a `local` region: converge, then change things behind
// Pulumi's back — kill a node's process, edit the DNS record file — and drift
// names each resource and property; converge --refresh puts them back and
// drift is quiet again. Needs a Pulumi CLI like test/local-target-engine.test.ts.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { REPO_ROOT, gitSync } from '../src/testing/index.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { freePort } from './helpers/serve.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the engine tests: ${(err as Error).message}`, { cause: err });
}

const { isNodeProcess } = createRequire(import.meta.url)(join(REPO_ROOT, 'program/local/node-provider.cjs')) as {
  isNodeProcess: (pid: number, name: string) => boolean;
};

const NODE_1 = 'jp-svc-plus-1';
const NODE_2 = 'jp-svc-plus-2';

interface Change {
  op: string;
  type: string;
  name: string;
  properties: { path: string; old?: unknown; new?: unknown }[];
}
interface Drift {
  drift: boolean;
  stacks: { stack: string; status: string; resources: Change[]; error: string | null }[];
}
interface Preview {
  stack: string;
  status: string;
  changes: Record<string, number>;
  resources: Change[];
  diff: string | null;
  error: string | null;
}

function stackYaml(weight: number, nodes: string[], excluded: string[], controlPlaneUrl: string): string {
  const salt = /^encryptionsalt: .*$/m.exec(readFileSync(join(REPO_ROOT, 'stacks/Pulumi.jp.yaml'), 'utf8'))?.[0] ?? '';
  return `config:
  xplane:region: jp
  xplane:controlPlaneUrl: ${controlPlaneUrl}
  xplane:pools:
    svc-plus:
      weight: ${weight}
      nodes: [${nodes.join(', ')}]
      excluded: [${excluded.join(', ')}]
${salt}
`;
}

describe(
  'drift and preview diffs with the real Pulumi engine',
  { skip: cli === undefined ? 'no Pulumi CLI here (scripts/build-pulumi-cli.sh builds one)' : false },
  () => {
    let repo: string;
    let port: number;
    let controlPlaneUrl: string;
    const pids = new Map<number, string>();
    const env: Record<string, string> = {
      PULUMI_CONFIG_PASSPHRASE: 'change-me',
      PULUMI_CLI_PATH: cli ?? '',
      XPLANE_BOOTSTRAP_TOKEN: 'drift-engine-token',
      PATH: [join(REPO_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter),
    };
    const stateDir = (): string => join(repo, '.xplane', 'local');
    const recordFile = (): string => join(stateDir(), 'dns', 'api.svc.plus', 'jp.json');
    const pidOf = (name: string): number => Number(readFileSync(join(stateDir(), 'nodes', `${name}.pid`), 'utf8'));

    async function run(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
      return runCli([...args, '--dir', repo], { env: { ...env, ...extraEnv }, timeoutMs: 240_000 });
    }

    async function converge(...extra: string[]): Promise<void> {
      const res = await run(['converge', '--stack', 'jp', '--json', ...extra]);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      for (const name of [NODE_1, NODE_2]) if (existsSync(join(stateDir(), 'nodes', `${name}.pid`))) pids.set(pidOf(name), name);
    }

    async function drift(): Promise<{ code: number | null; report: Drift; stderr: string }> {
      const res = await run(['drift', '--json']);
      let report: Drift;
      try {
        report = JSON.parse(res.stdout) as Drift;
      } catch {
        assert.fail(`drift printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
      }
      return { code: res.code, report, stderr: res.stderr };
    }

    before(async () => {
      repo = mkdtempSync(join(tmpdir(), 'xplane-drift-engine-'));
      env.PULUMI_HOME = join(repo, '.xplane', 'pulumi-home');
      port = await freePort();
      controlPlaneUrl = `http://127.0.0.1:${await freePort()}`;
      for (const path of ['Pulumi.yaml', 'program', '.gitignore']) cpSync(join(REPO_ROOT, path), join(repo, path), { recursive: true });
      for (const dir of ['platform-config/regions', 'platform-config/gtm', 'stacks']) mkdirSync(join(repo, dir), { recursive: true });
      writeFileSync(join(repo, 'platform-config/regions/jp.yaml'), 'name: jp\nprovider: local\n');
      writeFileSync(
        join(repo, 'platform-config/gtm/svc-plus.yaml'),
        `service: svc-plus\ndomain: api.svc.plus\nregions:\n  - name: jp\n    weight: 100\n    min_ready_nodes: 1\n    fallback: true\nhealth:\n  type: http\n  path: /healthz\n  port: ${port}\n  interval: 5s\n  timeout: 2s\ndns:\n  provider: local\n  zone: svc.plus\n  ttl: 30\n`,
      );
      writeFileSync(join(repo, 'stacks/Pulumi.jp.yaml'), stackYaml(100, [NODE_1, NODE_2], [NODE_2], controlPlaneUrl));
      gitSync(repo, 'init', '--quiet', '--initial-branch=main');
      gitSync(repo, 'add', '-A');
      gitSync(repo, 'commit', '--quiet', '-m', 'seed');
    });

    after(() => {
      const nodesDir = join(stateDir(), 'nodes');
      for (const file of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
        if (file.endsWith('.pid')) pids.set(Number(readFileSync(join(nodesDir, file), 'utf8')), file.slice(0, -'.pid'.length));
      }
      for (const [pid, name] of pids) if (isNodeProcess(pid, name)) process.kill(pid, 'SIGKILL');
      rmSync(repo, { recursive: true, force: true });
    });

    it('reports no drift, exit 0, right after a converge', async () => {
      await converge();
      const { code, report, stderr } = await drift();
      assert.equal(code, 0, stderr);
      assert.deepEqual(report, { drift: false, stacks: [{ stack: 'jp', status: 'clean', resources: [], error: null }] });
    });

    it('reports a node whose process was killed as gone, exit 3, and names it', async () => {
      const pid = pidOf(NODE_2);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && isNodeProcess(pid, NODE_2); i += 1) await new Promise((r) => setTimeout(r, 100));
      const { code, report, stderr } = await drift();
      assert.equal(code, 3, stderr);
      assert.equal(report.drift, true);
      const [jp] = report.stacks;
      assert.ok(jp);
      assert.equal(jp.status, 'drifted');
      assert.deepEqual(
        jp.resources.map((r) => [r.op, r.type, r.name]),
        [['delete', 'pulumi-nodejs:dynamic/xplane:LocalNode', NODE_2]],
      );
    });

    it('reports a DNS record edited behind Pulumi’s back with the property, recorded → real; the text report says the same', async () => {
      writeFileSync(recordFile(), readFileSync(recordFile(), 'utf8').replace(/"weight": 100/, '"weight": 7'));
      const { code, report } = await drift();
      assert.equal(code, 3);
      const dns = report.stacks[0]?.resources.find((r) => r.name === 'svc-plus-dns');
      assert.deepEqual(dns, {
        op: 'update',
        urn: 'urn:pulumi:jp::xplane::pulumi-nodejs:dynamic/xplane:LocalDnsRecords::svc-plus-dns',
        type: 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
        name: 'svc-plus-dns',
        properties: [{ path: 'records[0].weight', old: 100, new: 7 }],
      });
      assert.ok(
        report.stacks[0]?.resources.some((r) => r.name === NODE_2),
        'the dead node is still reported: drift recorded nothing',
      );

      const text = await run(['drift']);
      assert.equal(text.code, 3);
      assert.match(text.stdout, /^jp: 2 resources drifted from Pulumi's state$/m);
      assert.match(text.stdout, /^ {2}- xplane:LocalNode jp-svc-plus-2: gone \(deleted outside Pulumi\)$/m);
      assert.match(text.stdout, /^ {2}~ xplane:LocalDnsRecords svc-plus-dns\n {6}records\[0\]\.weight: 100 → 7$/m);
    });

    it('is quiet again once converge --refresh has put things back as Git says', async () => {
      await converge('--refresh');
      assert.equal((JSON.parse(readFileSync(recordFile(), 'utf8')) as { records: { weight: number }[] }).records[0]?.weight, 100);
      assert.ok(isNodeProcess(pidOf(NODE_2), NODE_2));
      const { code, report } = await drift();
      assert.equal(code, 0);
      assert.equal(report.drift, false);
    });

    it('exits 1 for a stack that was never converged (nothing recorded to compare)', async () => {
      const empty = join(repo, '.xplane', 'empty-backend');
      mkdirSync(empty, { recursive: true });
      const res = await run(['drift', '--json'], { PULUMI_BACKEND_URL: `file://${empty}` });
      assert.equal(res.code, 1, res.stderr);
      const [jp] = (JSON.parse(res.stdout) as Drift).stacks;
      assert.ok(jp);
      assert.equal(jp.status, 'failed');
      assert.match(jp.error ?? '', /stack jp has no state in file:\/\/.*empty-backend: converge it first/);
      assert.ok(!existsSync(join(empty, '.pulumi', 'stacks', 'xplane', 'jp.json')), 'no stack was created');
    });

    it('previews a stack change with the engine’s per-resource diff (the PR preview)', async () => {
      writeFileSync(join(repo, 'stacks/Pulumi.jp.yaml'), stackYaml(80, [NODE_1, NODE_2], [], controlPlaneUrl));
      const res = await run(['preview', '--stack', 'jp', '--json']);
      assert.equal(res.code, 0, res.stderr);
      const [preview] = JSON.parse(res.stdout) as Preview[];
      assert.ok(preview);
      assert.deepEqual(preview.changes.update, 1);
      const dns = preview.resources.find((r) => r.name === 'svc-plus-dns');
      assert.equal(dns?.op, 'update');
      assert.deepEqual(dns.properties, [
        { path: 'records[0].weight', old: 100, new: 40 },
        { path: 'records[1]', new: { node: NODE_2, ip: '127.1.1.2', weight: 40 } },
      ]);
      assert.match(preview.diff ?? '', /~ pulumi-nodejs:dynamic\/xplane:LocalDnsRecords: \(update\)/);
      assert.match(preview.diff ?? '', /~ weight: 100 => 40/);
      assert.doesNotMatch(preview.diff ?? '', /^Resources:/m, 'the counts are not repeated in the diff');
      assert.doesNotMatch(preview.diff ?? '', /drift-engine-token/, 'secrets stay masked');
    });
  },
);
