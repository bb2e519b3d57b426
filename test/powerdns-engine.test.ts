// The powerdns provider end to end: a real pdns_server (SQLite backend, its
// HTTP API and LUA records, on loopback), the real Pulumi engine through
// `xplane converge`, and two `local` regions whose nodes are real agent
// processes. PowerDNS answers `api.svc.plus` from the stacks' weights and its
// own health checks; the test measures the answers with `dig`:
//
//   converge → only nodes in DNS answer, each in proportion to its weight;
//   kill a node (no xplane runs) → PowerDNS stops answering it within
//     interval × fall + 2 s;
//   change a region's weight in its stack file and converge → the share moves;
//   destroy → the records are gone, the zone (SOA, NS) is intact.
//
// And the errors a human sees for a wrong API key (through the engine), a
// missing zone, a wrong server id and an API that does not answer.
// Needs pdns_server + pdns-backend-sqlite3, dig and a Pulumi CLI: without them
// the suite is skipped with the reason, which CI counts as a failure.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { powerDnsRecordsProvider, regionRecordName, type PowerDnsRecordsState } from '../program/dns/index.js';
import { AutomationRunner, converge as runStacks, findPulumiCli, PlainReporter, pathWithCli } from '../src/converge/index.js';
import { queryDns, RRType } from '../src/dns/index.js';
import { findPowerDns, startPowerDns, type PowerDnsServer } from '../src/powerdns/index.js';
import { REPO_ROOT, gitSync } from '../src/testing/index.js';
import { runCli } from './helpers/cli.js';
import { digTally, hasDig, shareLine, shares, type DigTally } from './helpers/dig.js';
import { freePort } from './helpers/serve.js';

let cli: string | undefined;
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch {
  cli = undefined;
}
const pdns = findPowerDns();
const missing = [
  cli === undefined ? 'no Pulumi CLI (scripts/build-pulumi-cli.sh builds one)' : '',
  typeof pdns === 'string' ? pdns : '',
  hasDig() ? '' : 'no dig (apt-get install bind9-dnsutils)',
].filter((m) => m !== '');

const { isNodeProcess } = createRequire(import.meta.url)(join(REPO_ROOT, 'program/local/node-provider.cjs')) as {
  isNodeProcess: (pid: number, name: string) => boolean;
};

const DOMAIN = 'api.svc.plus';
const API_KEY = 'pdns-engine-key-8d1c';
const TOKEN = 'pdns-engine-token-2b7e';
/** The gtm health block: every second, fall 3: a dead node must be out within 1 s × 3 + 2 s. */
const INTERVAL_S = 1;
const FALL = 3;
const GONE_BOUND_MS = INTERVAL_S * FALL * 1000 + 2000;
/** Queries per share measurement. */
const QUERIES = 600;
/** A share may be this many binomial standard deviations off (about 1 in 15 000 for a correct share). */
const MAX_SIGMAS = 4;

// Local addresses 127.R.S.N: regions jp (R 1) and sg (R 2) in name order, one service (S 1), node N.
const JP1 = '127.1.1.1';
const JP2 = '127.1.1.2';
const JP3 = '127.1.1.3';
const SG1 = '127.2.1.1';

interface NodeOutput {
  name: string;
  address?: string;
  pid?: number;
}

interface Result {
  stack: string;
  status: string;
  changes: Record<string, number>;
  outputs: { services?: Record<string, { nodes: NodeOutput[]; powerdnsRecords?: string[] }> };
  error: string | null;
}

function stackYaml(region: string, weight: number, nodes: string[], excluded: string[], settings: Record<string, string>): string {
  // The example stack's salt: made with the passphrase change-me.
  const salt = /^encryptionsalt: .*$/m.exec(readFileSync(join(REPO_ROOT, 'stacks/Pulumi.jp.yaml'), 'utf8'))?.[0] ?? '';
  const extra = Object.entries(settings)
    .map(([k, v]) => `  xplane:${k}: ${v}\n`)
    .join('');
  return `config:
  xplane:region: ${region}
${extra}  xplane:pools:
    svc-plus:
      weight: ${weight}
      nodes: [${nodes.join(', ')}]
      excluded: [${excluded.join(', ')}]
${salt}
`;
}

function gtmYaml(port: number): string {
  return `service: svc-plus
domain: ${DOMAIN}
regions:
  - name: jp
    weight: 100
    min_ready_nodes: 1
    fallback: true
  - name: sg
    weight: 20
    min_ready_nodes: 1
    fallback: true
health:
  type: http
  path: /healthz
  port: ${port}
  interval: ${INTERVAL_S}s
  timeout: 500ms
  fall: ${FALL}
dns:
  provider: powerdns
  zone: svc.plus
  ttl: 5
`;
}

/**
 * Each live node's expected share. A region's weight is split over its nodes in DNS (as for Route 53); a dead
 * node's part drops out of the total, it is not handed to the other nodes of its region (Route 53 does the same).
 */
function expectedShares(regions: { weight: number; inDns: string[]; dead?: string[] }[]): Record<string, number> {
  const perNode = regions.flatMap((r) => r.inDns.filter((ip) => !r.dead?.includes(ip)).map((ip) => [ip, r.weight / r.inDns.length] as const));
  const total = perNode.reduce((sum, [, w]) => sum + w, 0);
  return Object.fromEntries(perNode.map(([ip, w]) => [ip, w / total]));
}

describe('PowerDNS with the real Pulumi engine and a real pdns_server', { skip: missing.length > 0 ? missing.join('; ') : false }, () => {
  let repo = '';
  let port: number;
  let server: PowerDnsServer;
  /** The server, once started: `after` stops it whatever happened. */
  let started: PowerDnsServer | undefined;
  let settings: Record<string, string>;
  const pids = new Map<number, string>();
  const env: Record<string, string> = {
    PULUMI_CONFIG_PASSPHRASE: 'change-me',
    PULUMI_CLI_PATH: cli ?? '',
    XPLANE_BOOTSTRAP_TOKEN: TOKEN,
    XPLANE_POWERDNS_API_KEY: API_KEY,
    PATH: [join(REPO_ROOT, 'bin'), process.env.PATH ?? ''].join(delimiter),
  };
  const stateDir = (): string => join(repo, '.xplane', 'local');

  async function converge(stacks: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; results: Result[]; stderr: string }> {
    const res = await runCli(['converge', ...stacks.flatMap((s) => ['--stack', s]), '--dir', repo, '--json'], {
      env: { ...env, ...extraEnv },
      timeoutMs: 240_000,
    });
    let results: Result[] = [];
    try {
      results = JSON.parse(res.stdout) as Result[];
    } catch {
      assert.fail(`converge printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    }
    for (const result of results)
      for (const node of result.outputs.services?.['svc-plus']?.nodes ?? []) if (node.pid !== undefined) pids.set(node.pid, node.name);
    return { code: res.code, results, stderr: res.stderr };
  }

  async function convergeOk(stacks: string[]): Promise<Result[]> {
    const { code, results, stderr } = await converge(stacks);
    assert.equal(code, 0, `${results.map((r) => `${r.stack}: ${r.error ?? r.status}`).join('\n')}\n${stderr}\npdns:\n${server.log()}`);
    return results;
  }

  function writeStack(region: string, weight: number, nodes: string[], excluded: string[] = []): void {
    writeFileSync(join(repo, `stacks/Pulumi.${region}.yaml`), stackYaml(region, weight, nodes, excluded, settings));
    gitSync(repo, 'add', '-A');
    gitSync(repo, 'commit', '--quiet', '--allow-empty', '-m', `${region} weight ${weight}`);
  }

  async function rrsets(): Promise<{ name: string; type: string; records: { content: string }[] }[]> {
    const res = await fetch(`${server.apiUrl}/api/v1/servers/localhost/zones/svc.plus.`, { headers: { 'X-API-Key': API_KEY } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { rrsets: { name: string; type: string; records: { content: string }[] }[] }).rrsets;
  }

  /** Waits until PowerDNS's checks have run on every node it should answer with (its first answers fail open). */
  async function settled(live: string[]): Promise<void> {
    const end = Date.now() + 20_000;
    for (;;) {
      const tally = digTally(DOMAIN, server.dnsHost, server.dnsPort, 60);
      if ([...tally.counts.keys()].every((ip) => live.includes(ip)) && live.every((ip) => tally.counts.has(ip))) return;
      if (Date.now() > end) assert.fail(`PowerDNS still answers ${[...tally.counts.keys()].join(', ')}, not exactly ${live.join(', ')}\n${server.log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  function measure(t: TestContext, expected: Record<string, number>): DigTally {
    const tally = digTally(DOMAIN, server.dnsHost, server.dnsPort, QUERIES);
    const rows = shares(tally, expected);
    const line = shareLine(rows, QUERIES);
    t.diagnostic(line);
    console.log(`# ${t.name}: ${line}`);
    assert.equal(tally.empty, 0, 'every query is answered with an address');
    assert.deepEqual(
      [...tally.counts.keys()].filter((ip) => !(ip in expected)),
      [],
      'only live nodes in DNS are answered',
    );
    for (const row of rows) assert.ok(row.sigmas <= MAX_SIGMAS, `${row.address}: ${line}`);
    return tally;
  }

  before(async () => {
    if (typeof pdns === 'string') return;
    repo = mkdtempSync(join(tmpdir(), 'xplane-pdns-engine-'));
    env.PULUMI_HOME = join(repo, '.xplane', 'pulumi-home');
    port = await freePort();
    server = await startPowerDns({
      install: pdns,
      dir: join(repo, '.xplane', 'pdns'),
      dnsHost: '127.0.0.1',
      dnsPort: await freePort(),
      apiHost: '127.0.0.1',
      apiPort: await freePort(),
      apiKey: API_KEY,
      zones: ['svc.plus'],
      healthCheckInterval: INTERVAL_S,
      // Every answer computed afresh, so 600 queries are 600 weighted picks (docs/converge.md, PowerDNS limits).
      noCache: true,
    });
    started = server;
    // Nothing listens at the control plane's URL: the agents keep retrying their registration and serve /healthz meanwhile.
    settings = { controlPlaneUrl: `http://127.0.0.1:${await freePort()}`, powerdnsApiUrl: server.apiUrl };
    for (const path of ['Pulumi.yaml', 'program', '.gitignore']) cpSync(join(REPO_ROOT, path), join(repo, path), { recursive: true });
    for (const dir of ['platform-config/regions', 'platform-config/gtm', 'stacks']) mkdirSync(join(repo, dir), { recursive: true });
    writeFileSync(join(repo, 'platform-config/regions/jp.yaml'), 'name: jp\nprovider: local\n');
    writeFileSync(join(repo, 'platform-config/regions/sg.yaml'), 'name: sg\nprovider: local\n');
    writeFileSync(join(repo, 'platform-config/gtm/svc-plus.yaml'), gtmYaml(port));
    gitSync(repo, 'init', '--quiet', '--initial-branch=main');
    writeStack('jp', 100, ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3'], ['jp-svc-plus-3']);
    writeStack('sg', 20, ['sg-svc-plus-1']);
  });

  after(async () => {
    if (repo === '') return;
    const nodesDir = join(stateDir(), 'nodes');
    for (const file of existsSync(nodesDir) ? readdirSync(nodesDir) : []) {
      if (file.endsWith('.pid')) pids.set(Number(readFileSync(join(nodesDir, file), 'utf8')), file.slice(0, -'.pid'.length));
    }
    for (const [pid, name] of pids) if (isNodeProcess(pid, name)) process.kill(pid, 'SIGKILL');
    await started?.stop();
    rmSync(repo, { recursive: true, force: true });
  });

  it('fails a converge with a wrong API key, naming where the key comes from', async () => {
    const { code, results } = await converge(['jp'], { XPLANE_POWERDNS_API_KEY: 'not-the-key' });
    assert.equal(code, 1);
    const error = results[0]?.error ?? '';
    assert.match(error, new RegExp(`PowerDNS at ${server.apiUrl.replace(/\./g, '\\.')} refused the API key \\(401`));
    assert.match(error, /XPLANE_POWERDNS_API_KEY \(or XPLANE_POWERDNS_API_KEY_FILE\) at converge time, or the secret xplane:powerdnsApiKey/);
    assert.ok(!(await rrsets()).some((r) => r.type === 'LUA'), 'nothing was written');
  });

  it('answers only with the nodes in DNS, each in proportion to its weight', async (t) => {
    const results = await convergeOk(['jp', 'sg']);
    assert.deepEqual(results.find((r) => r.stack === 'jp')?.outputs.services?.['svc-plus']?.powerdnsRecords, [regionRecordName(DOMAIN, 'jp'), `${DOMAIN}.`]);
    const names = (await rrsets()).filter((r) => r.type === 'LUA').map((r) => r.name);
    assert.deepEqual(names.sort(), [`${DOMAIN}.`, regionRecordName(DOMAIN, 'jp'), regionRecordName(DOMAIN, 'sg')].sort());
    // jp-svc-plus-3 runs (excluded only keeps it out of DNS) but is never answered.
    assert.equal((await fetch(`http://${JP3}:${port}/healthz`)).status, 200);
    await settled([JP1, JP2, SG1]);
    // jp 100 over two nodes, sg 20 over one: 50 : 50 : 20.
    measure(
      t,
      expectedShares([
        { weight: 100, inDns: [JP1, JP2] },
        { weight: 20, inDns: [SG1] },
      ]),
    );
  });

  it('stops answering a killed node within interval × fall + 2 s, with no xplane running', async (t) => {
    const pid = [...pids].find(([, name]) => name === 'jp-svc-plus-2')?.[0];
    assert.ok(pid !== undefined && isNodeProcess(pid, 'jp-svc-plus-2'));
    // Nothing of xplane runs: converge has exited, and no `xplane serve` was ever started here.
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    // Rounds of 10 queries every 50 ms; gone = the first of 10 rounds in a row (100 answers) without it.
    let streak = 0;
    let goneAt: number | undefined;
    while (Date.now() - killed < GONE_BOUND_MS + 10_000) {
      const round = Date.now();
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => queryDns(DOMAIN, RRType.A, { host: server.dnsHost, port: server.dnsPort, timeoutMs: 1000 }).catch(() => undefined)),
      );
      const seen = replies.some((reply) => reply?.answers.some((rr) => rr.data.kind === 'a' && rr.data.address === JP2));
      if (seen) streak = 0;
      else if (++streak === 1) goneAt = round;
      if (streak >= 10) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(streak >= 10 && goneAt !== undefined, `PowerDNS still answered ${JP2} ${GONE_BOUND_MS + 10_000} ms after the kill\n${server.log()}`);
    const ms = goneAt - killed;
    t.diagnostic(`${JP2} gone from the answers ${ms} ms after kill -9 (bound ${GONE_BOUND_MS} ms = ${INTERVAL_S} s × ${FALL} + 2 s)`);
    console.log(`# kill → gone: ${ms} ms (bound ${GONE_BOUND_MS} ms)`);
    assert.ok(ms <= GONE_BOUND_MS, `${ms} ms > ${GONE_BOUND_MS} ms`);
    // jp-svc-plus-1 keeps its 50 (jp's 100 over its two nodes in DNS), sg 20: 50 : 20.
    measure(
      t,
      expectedShares([
        { weight: 100, inDns: [JP1, JP2], dead: [JP2] },
        { weight: 20, inDns: [SG1] },
      ]),
    );
  });

  it('moves the share when a region weight changes in its stack file and the stack converges', async (t) => {
    writeStack('sg', 100, ['sg-svc-plus-1']);
    const [result] = await convergeOk(['sg']);
    assert.deepEqual(Object.keys(result?.changes ?? {}).sort(), ['same', 'update'], 'the record is updated in place');
    // jp-svc-plus-1 50, sg 100: sg's share moves from 2/7 (28.6 %) to 2/3 (66.7 %).
    const tally = measure(
      t,
      expectedShares([
        { weight: 100, inDns: [JP1, JP2], dead: [JP2] },
        { weight: 100, inDns: [SG1] },
      ]),
    );
    assert.ok((tally.counts.get(SG1) ?? 0) / QUERIES > 0.5, 'sg went from about 29 % to about 67 %');
  });

  it('removes its records on destroy and leaves the zone as it was', async () => {
    const root = repo;
    const runner = new AutomationRunner({
      root,
      cli: cli ?? '',
      env: { PULUMI_BACKEND_URL: `file://${join(root, '.xplane', 'pulumi')}`, PULUMI_SKIP_UPDATE_CHECK: 'true', PATH: pathWithCli(cli ?? '', root), ...env },
      // Destroy runs no program.
      program: () => () => Promise.resolve({}),
    });
    const lines: string[] = [];
    const results = await runStacks({ stacks: ['jp', 'sg'], action: 'destroy', refresh: false, runner, reporter: new PlainReporter((l) => lines.push(l)) });
    assert.deepEqual(
      results.map((r) => r.status),
      ['succeeded', 'succeeded'],
      lines.join('\n'),
    );
    const left = await rrsets();
    assert.deepEqual(
      left.filter((r) => r.type === 'LUA' || r.name.includes('_xplane')),
      [],
      'no record of xplane is left',
    );
    assert.deepEqual(
      left.map((r) => `${r.name} ${r.type}`).sort(),
      ['ns1.svc.plus. A', 'svc.plus. NS', 'svc.plus. SOA'],
      'the zone keeps its SOA, NS and glue',
    );
    const soa = await queryDns('svc.plus', RRType.SOA, { host: server.dnsHost, port: server.dnsPort });
    assert.equal(soa.answers.length, 1);
    const gone = await queryDns(DOMAIN, RRType.A, { host: server.dnsHost, port: server.dnsPort });
    assert.equal(gone.header.rcode, 3, `${DOMAIN} is NXDOMAIN`);
  });

  describe('errors that name the setting to fix', () => {
    const provider = powerDnsRecordsProvider();
    const state = (over: Partial<PowerDnsRecordsState>): PowerDnsRecordsState => ({
      implementation: '',
      apiUrl: server.apiUrl,
      serverId: 'localhost',
      apiKey: API_KEY,
      zone: 'svc.plus.',
      ttl: 5,
      region: { name: regionRecordName('x.svc.plus', 'jp'), content: 'LUA "W=W or {}"' },
      answer: { name: 'x.svc.plus.', content: `A ";W={} include('jp._xplane.x') return {}"` },
      regionSuffix: '._xplane.x.svc.plus.',
      ...over,
    });

    it('a zone PowerDNS does not have', async () => {
      await assert.rejects(
        provider.create(state({ zone: 'nope.plus.' })),
        /zone nope\.plus\. does not exist on PowerDNS at .* \(404.*\): create it first \(gtm dns\.zone; e\.g\. pdnsutil create-zone nope\.plus\); xplane owns only its records and never creates zones/,
      );
    });

    it('a server id PowerDNS does not have', async () => {
      await assert.rejects(provider.create(state({ serverId: 'pdns-b' })), /PowerDNS at .* has no server "pdns-b" \(xplane:powerdnsServerId/);
    });

    it('a wrong API key', async () => {
      await assert.rejects(provider.create(state({ apiKey: 'wrong' })), /refused the API key \(401 Unauthorized\)/);
    });

    it('an API that does not answer', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      await assert.rejects(
        provider.create(state({ apiUrl: closed })),
        new RegExp(`cannot reach the PowerDNS API at ${closed.replace(/\./g, '\\.')} \\(xplane:powerdnsApiUrl\\): ECONNREFUSED`),
      );
    });
  });
});
