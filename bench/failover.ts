// npm run bench:failover — time from kill -9 of a node to the DNS no longer
// answering with it: xplane's embedded DNS and PowerDNS's LUA `ifurlup`
// records side by side, on the same agent processes and the same kills, with
// the same check interval and failure count. Also the time until the Git
// path has recorded the exclusion (a commit on the remote). Target: the
// ratio xplane / PowerDNS <= 1.0.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryDns, RRType, writeRecordFile } from '../src/dns/index.js';
import { errorText } from '../src/errors.js';
import { makeGitFixture } from '../src/testing/index.js';
import { freePort, progress, ROOT, startServe, writeResults } from '../test/helpers/serve.js';

const KILLS = Number(process.env.BENCH_KILLS ?? 9);
const GIT_KILLS = Number(process.env.BENCH_GIT_KILLS ?? 3);
const INTERVAL_S = 1;
const FALL = 3;
const BOOTSTRAP = 'bench-bootstrap';
const ADMIN = 'bench-admin';
const DOMAIN = 'api.svc.plus';
const NODES = [1, 2, 3].map((n) => ({ name: `jp-svc-plus-${n}`, ip: `127.1.1.${n}` }));
// A round every 20 ms; xplane answers one weighted-random record per query, so
// a round asks it several times; PowerDNS answers with every live address.
const ROUND_MS = 20;
const XPLANE_QUERIES_PER_ROUND = 4;
// A node counts as gone after this many consecutive rounds without it; the
// time is that of the streak's first round.
const STREAK = 10;
const GONE_TIMEOUT_MS = 20_000;
const GIT_TIMEOUT_MS = 30_000;

const PDNS = '/usr/sbin/pdns_server';
if (spawnSync(PDNS, ['--version']).error) {
  console.error('bench:failover needs PowerDNS with the bind backend: apt-get install pdns-server pdns-backend-bind');
  process.exit(1);
}
const pdnsVersion = /PowerDNS Authoritative Server (\S+)/.exec(spawnSync(PDNS, ['--version'], { encoding: 'utf8' }).stderr)?.[1] ?? 'unknown';
// ifurlup ignores options it does not know, so an older PowerDNS (Debian 12 ships 4.7) would silently
// drop an address after its first failed check; the option's name in the binary says whether it applies.
const minimumFailuresSupported = readFileSync(PDNS).includes('minimumFailures');

/** Polls `check` every `everyMs` until it returns a value; throws after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The A addresses one server answers with; a timeout or error answers nothing (which does not include the dead node). */
async function addresses(port: number, times: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const replies = await Promise.all(
    Array.from({ length: times }, () => queryDns(DOMAIN, RRType.A, { host: '127.0.0.1', port, timeoutMs: 500 }).catch(() => undefined)),
  );
  for (const reply of replies) for (const rr of reply?.answers ?? []) if (rr.data.kind === 'a') seen.add(rr.data.address);
  return seen;
}

const dir = mkdtempSync(join(tmpdir(), 'xplane-bench-failover-'));
const fixture = makeGitFixture();
// Agents and pdns_server; serve stops on its own, gracefully.
const children: ChildProcess[] = [];
const agents = new Map<string, ChildProcess>();
let serve: Awaited<ReturnType<typeof startServe>> | undefined;

try {
  const healthPort = await freePort();
  const gtm = 'platform-config/gtm/svc-plus.yaml';
  const autoscale = 'platform-config/autoscale/svc-plus.yaml';
  const local = (text: string): string =>
    text
      .replace(/^provider: aws.*$/m, 'provider: local')
      .replace(/^location: .*\n/m, '')
      .replace(/^instance_type: .*\n/m, '');
  fixture.commit(
    {
      [gtm]: fixture
        .read(gtm)
        .replace(/port: \d+/, `port: ${healthPort}`)
        .replace(/interval: \S+/, `interval: ${INTERVAL_S}s`)
        .replace(/timeout: \S+/, 'timeout: 500ms')
        .replace(/fall: \d+/, `fall: ${FALL}`)
        .replace(/provider: route53/, 'provider: local')
        .replace(/ttl: \d+/, 'ttl: 1'),
      // Idle simulated nodes would be scaled down mid-run; keep the three for the whole benchmark.
      [autoscale]: fixture.read(autoscale).replace(/scale_down_stabilization: \S+/, 'scale_down_stabilization: 24h'),
      'platform-config/regions/jp.yaml': local(fixture.read('platform-config/regions/jp.yaml')),
      'platform-config/regions/sg.yaml': local(fixture.read('platform-config/regions/sg.yaml')),
      'stacks/Pulumi.jp.yaml': fixture.read('stacks/Pulumi.jp.yaml').replace(/nodes: \[[^\]]*\]/, `nodes: [${NODES.map((n) => n.name).join(', ')}]`),
    },
    'bench: local target, 1 s health checks, three jp nodes',
  );

  // xplane: serve with its embedded DNS on a port we know (parseArgs keeps the last of a repeated flag).
  const xplaneDns = await freePort();
  const dnsDir = join(dir, 'dns');
  progress(`starting xplane serve (state in ${dir})`);
  serve = await startServe(
    [
      '--repo',
      fixture.bare,
      '--db',
      join(dir, 'xplane.db'),
      '--workdir',
      join(dir, 'work'),
      '--dns-listen',
      `127.0.0.1:${xplaneDns}`,
      '--dns-dir',
      dnsDir,
      '--sync-interval',
      '1s',
      '--reconcile-interval',
      '1s',
    ],
    { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_LOG_LEVEL: 'warn' },
  );
  const serveUrl = serve.url;
  // No Pulumi here: write the record file the local provider would have written after a converge.
  await writeRecordFile(dnsDir, {
    domain: DOMAIN,
    region: 'jp',
    ttl: 1,
    zone: 'svc.plus',
    records: NODES.map((n) => ({ node: n.name, ip: n.ip, weight: 100 })),
  });

  // PowerDNS: a foreground pdns_server with its own config dir, the bind backend and one LUA record.
  const pdnsDns = await freePort();
  const pdnsDir = join(dir, 'pdns');
  mkdirSync(pdnsDir);
  const candidates = NODES.map((n) => `'${n.ip}'`).join(',');
  // The URL's host only names the Host header: ifurlup connects to each candidate address in turn.
  const lua = `ifurlup('http://${DOMAIN}:${healthPort}/healthz', {{${candidates}}}, {selector='all', timeout=1, minimumFailures=${FALL}})`;
  writeFileSync(
    join(pdnsDir, 'svc.plus.zone'),
    `$ORIGIN svc.plus.
$TTL 1
@    IN SOA ns.svc.plus. hostmaster.svc.plus. 1 3600 600 86400 1
@    IN NS  ns.svc.plus.
ns   IN A   127.0.0.1
api  IN LUA A "${lua}"
`,
  );
  writeFileSync(join(pdnsDir, 'named.conf'), `zone "svc.plus" { type master; file "${join(pdnsDir, 'svc.plus.zone')}"; };\n`);
  writeFileSync(
    join(pdnsDir, 'pdns.conf'),
    [
      'launch=bind',
      `bind-config=${join(pdnsDir, 'named.conf')}`,
      `local-address=127.0.0.1:${pdnsDns}`,
      `socket-dir=${pdnsDir}`,
      'guardian=no',
      'daemon=no',
      'write-pid=no',
      'disable-syslog=yes',
      'loglevel=4',
      'enable-lua-records=yes',
      `lua-health-checks-interval=${INTERVAL_S}`,
      // No caches: every answer is computed from the health state of that moment, as xplane's is.
      'cache-ttl=0',
      'query-cache-ttl=0',
      'negquery-cache-ttl=0',
      '',
    ].join('\n'),
  );
  progress(`starting PowerDNS ${pdnsVersion} on 127.0.0.1:${pdnsDns}`);
  const pdns = spawn(PDNS, [`--config-dir=${pdnsDir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(pdns);
  let pdnsLog = '';
  const keepLog = (c: Buffer): void => {
    pdnsLog = (pdnsLog + c.toString()).slice(-8000);
  };
  pdns.stdout.on('data', keepLog);
  pdns.stderr.on('data', keepLog);
  await until(
    'PowerDNS to answer',
    async () => {
      if (pdns.exitCode !== null) throw new Error(`pdns_server exited with ${pdns.exitCode}: ${pdnsLog}`);
      await queryDns('ns.svc.plus', RRType.A, { host: '127.0.0.1', port: pdnsDns, timeoutMs: 300 });
      return true;
    },
    15_000,
  ).catch((err: unknown) => {
    throw new Error(`${errorText(err)}\n${pdnsLog}`);
  });

  const startAgent = (node: { name: string; ip: string }): void => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/xplane.js'),
        'agent',
        '--simulate-load',
        '--name',
        node.name,
        '--address',
        `${node.ip}:${healthPort}`,
        '--server',
        serveUrl,
        '--service',
        'svc-plus',
        '--region',
        'jp',
      ],
      { env: { ...process.env, XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    agents.set(node.name, child);
    children.push(child);
  };
  const states = async (): Promise<Map<string, string>> => {
    const res = await fetch(`${serveUrl}/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const rows = (await res.json()) as { name: string; state: string }[];
    return new Map(rows.map((r) => [r.name, r.state]));
  };
  // Ready for a kill: every node active in the registry, and both DNS servers answering with all of them.
  const allServing = async (): Promise<boolean | undefined> => {
    const s = await states();
    if (!NODES.every((n) => s.get(n.name) === 'active')) return undefined;
    const x = await addresses(xplaneDns, 30);
    const p = await addresses(pdnsDns, 1);
    return NODES.every((n) => x.has(n.ip) && p.has(n.ip)) ? true : undefined;
  };

  progress(`starting ${NODES.length} agents on ${NODES.map((n) => `${n.ip}:${healthPort}`).join(', ')}`);
  for (const n of NODES) startAgent(n);
  await until('every node active and in both DNS answers', allServing, 60_000, 250);

  interface Kill {
    node: string;
    xplaneMs: number | null;
    powerdnsMs: number | null;
    gitMs: number | null;
  }
  const kills: Kill[] = [];
  for (let k = 0; k < KILLS; k += 1) {
    const victim = NODES[k % NODES.length] ?? NODES[0];
    if (!victim) break;
    const gitBefore = execFileSync('git', ['--git-dir', fixture.bare, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
    const child = agents.get(victim.name);
    const killedAt = performance.now();
    child?.kill('SIGKILL');

    // Both servers in the same loop, so one kill measures both.
    const gone: { xplane: number | null; powerdns: number | null } = { xplane: null, powerdns: null };
    const streak = { xplane: 0, powerdns: 0 };
    const first = { xplane: 0, powerdns: 0 };
    while ((gone.xplane === null || gone.powerdns === null) && performance.now() - killedAt < GONE_TIMEOUT_MS) {
      const roundAt = performance.now() - killedAt;
      const [x, p] = await Promise.all([addresses(xplaneDns, XPLANE_QUERIES_PER_ROUND), addresses(pdnsDns, 1)]);
      for (const [side, seen] of [
        ['xplane', x],
        ['powerdns', p],
      ] as const) {
        if (gone[side] !== null) continue;
        if (seen.has(victim.ip)) streak[side] = 0;
        else {
          if (streak[side] === 0) first[side] = roundAt;
          streak[side] += 1;
          if (streak[side] >= STREAK) gone[side] = Math.round(first[side]);
        }
      }
      await sleep(ROUND_MS);
    }

    let gitMs: number | null = null;
    if (k < GIT_KILLS) {
      const pattern = new RegExp(`\\bexclude ${victim.name}\\b`);
      gitMs = await until(
        `a commit excluding ${victim.name}`,
        async () => {
          const log = execFileSync('git', ['--git-dir', fixture.bare, 'log', '--format=%B', `${gitBefore}..main`], { encoding: 'utf8' });
          return pattern.test(log) ? Math.round(performance.now() - killedAt) : undefined;
        },
        GIT_TIMEOUT_MS,
        50,
      ).catch(() => null);
    }
    kills.push({ node: victim.name, xplaneMs: gone.xplane, powerdnsMs: gone.powerdns, gitMs });
    progress(
      `kill ${k + 1}/${KILLS} ${victim.name}: xplane ${gone.xplane ?? 'timeout'} ms, PowerDNS ${gone.powerdns ?? 'timeout'} ms${k < GIT_KILLS ? `, git ${gitMs ?? 'timeout'} ms` : ''}`,
    );

    startAgent(victim);
    await until(`${victim.name} active and answered again`, allServing, 60_000, 250);
  }

  const xs = kills.flatMap((k) => (k.xplaneMs === null ? [] : [k.xplaneMs]));
  const ps = kills.flatMap((k) => (k.powerdnsMs === null ? [] : [k.powerdnsMs]));
  const gs = kills.flatMap((k) => (k.gitMs === null ? [] : [k.gitMs]));
  const xMedian = median(xs);
  const pMedian = median(ps);
  const ratio = Math.round((xMedian / pMedian) * 100) / 100;
  const results = {
    benchmark: 'failover',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
    powerdns: {
      version: pdnsVersion,
      record: lua,
      luaHealthChecksInterval: INTERVAL_S,
      minimumFailuresSupported,
      effectiveFall: minimumFailuresSupported ? FALL : 1,
    },
    xplane: { healthInterval: `${INTERVAL_S}s`, timeout: '500ms', fall: FALL, ttl: 1 },
    method: { roundMs: ROUND_MS, xplaneQueriesPerRound: XPLANE_QUERIES_PER_ROUND, goneAfterRounds: STREAK },
    kills,
    medianMs: { xplane: xMedian, powerdns: pMedian, git: median(gs) },
    ratio,
    target: { ratio: 1.0 },
    met: { ratio: ratio <= 1.0 },
  };
  const row = (k: Kill, i: number): string =>
    `| ${i + 1} | ${k.node} | ${k.xplaneMs ?? 'timeout'} | ${k.powerdnsMs ?? 'timeout'} | ${k.gitMs ?? (i < GIT_KILLS ? 'timeout' : '')} |`;
  const md = `# bench:failover

${results.date} — ${results.machine.cpus} × ${results.machine.model}, load ${results.machine.loadavg.join(' ')}

Time from \`kill -9\` of a node's agent to the DNS no longer answering with it
(the first of ${STREAK} consecutive query rounds, every ${ROUND_MS} ms, without its address),
both servers queried in the same loop after the same kill.

| figure | value | target |
| --- | --- | --- |
| xplane embedded DNS, median | ${xMedian} ms | |
| PowerDNS ${pdnsVersion} LUA \`ifurlup\`, median | ${pMedian} ms | |
| ratio xplane / PowerDNS | ${ratio} | <= 1.0 |
| Git path (exclusion commit on the remote), median | ${median(gs)} ms | |

| kill | node | xplane ms | PowerDNS ms | git ms |
| --- | --- | --- | --- | --- |
${kills.map(row).join('\n')}

${
  minimumFailuresSupported
    ? `Both sides: check every ${INTERVAL_S} s, ${FALL} failures.`
    : `PowerDNS ${pdnsVersion} does not know ifurlup's \`minimumFailures\` (it ignores it), so it drops an address after
its first failed check. That matches xplane here: a killed process refuses connections, a hard probe failure that
marks the node down without waiting for \`fall\`. Both sides act on their first check after the kill.`
}
xplane: gtm health \`interval: ${INTERVAL_S}s\`, \`timeout: 500ms\`,
\`fall: ${FALL}\`, TTL 1, ${XPLANE_QUERIES_PER_ROUND} queries a round (it answers one weighted record per query).
PowerDNS: \`enable-lua-records\`, \`lua-health-checks-interval=${INTERVAL_S}\`, caches off, bind backend, record
\`${lua}\`.
`;
  const path = writeResults('failover', results, md);
  console.log(md);
  console.log(`results: ${path}`);
  if (xs.length < kills.length || ps.length < kills.length) process.exitCode = 1;
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await serve?.stop();
  fixture.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
