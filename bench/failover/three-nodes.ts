// bench:failover, path 1: three nodes of one region behind a bare `xplane serve`
// (no Pulumi: the bench writes the record file the local provider would
// write), 1 s checks, and agents the bench itself starts and kills. Also the
// time until the Git path has recorded the exclusion.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeRecordFile } from '../../src/dns/index.js';
import { makeGitFixture } from '../../src/testing/index.js';
import { freePort, progress, ROOT, startServe } from '../../test/helpers/serve.js';
import { addresses, observeKill, until, type KillObservation } from './measure.js';
import { startPowerDns } from './powerdns.js';

const INTERVAL_S = 1;
const TIMEOUT = '500ms';
const FALL = 3;
const TTL = 1;
const BOOTSTRAP = 'bench-bootstrap';
const ADMIN = 'bench-admin';
const DOMAIN = 'api.svc.plus';
const NODES = [1, 2, 3].map((n) => ({ name: `jp-svc-plus-${n}`, ip: `127.1.1.${n}` }));
const GONE_TIMEOUT_MS = 20_000;
const GIT_TIMEOUT_MS = 30_000;

/** One kill of path 1. */
export interface ThreeNodeKill extends KillObservation {
  node: string;
  /** ms until the exclusion commit was on the remote; null when not measured or not seen. */
  gitMs: number | null;
}

/** What path 1 ran with and measured. */
export interface ThreeNodeRun {
  settings: { healthInterval: string; timeout: string; fall: number; ttl: number; nodes: number };
  powerdnsRecord: string;
  kills: ThreeNodeKill[];
}

/** Runs path 1: `kills` kills, the first `gitKills` also timed to the exclusion commit. */
export async function runThreeNodes(dir: string, kills: number, gitKills: number): Promise<ThreeNodeRun> {
  const fixture = makeGitFixture();
  const children: ChildProcess[] = [];
  const agents = new Map<string, ChildProcess>();
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  let pdns: Awaited<ReturnType<typeof startPowerDns>> | undefined;
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
          .replace(/timeout: \S+/, `timeout: ${TIMEOUT}`)
          .replace(/fall: \d+/, `fall: ${FALL}`)
          .replace(/provider: route53/, 'provider: local')
          .replace(/ttl: \d+/, `ttl: ${TTL}`),
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
    progress(`three nodes: starting xplane serve (state in ${dir})`);
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
      ttl: TTL,
      zone: 'svc.plus',
      records: NODES.map((n) => ({ node: n.name, ip: n.ip, weight: 100 })),
    });

    progress('three nodes: starting PowerDNS');
    pdns = await startPowerDns(join(dir, 'pdns'), {
      domain: DOMAIN,
      zone: 'svc.plus',
      ttl: TTL,
      candidates: NODES.map((n) => n.ip),
      port: healthPort,
      path: '/healthz',
      intervalS: INTERVAL_S,
      fall: FALL,
      timeoutS: 1,
    });
    const pdnsPort = pdns.port;

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
      const s = await states().catch(() => new Map<string, string>());
      if (!NODES.every((n) => s.get(n.name) === 'active')) return undefined;
      const x = await addresses(DOMAIN, xplaneDns, 30);
      const p = await addresses(DOMAIN, pdnsPort, 1);
      return NODES.every((n) => x.has(n.ip) && p.has(n.ip)) ? true : undefined;
    };

    progress(`three nodes: starting ${NODES.length} agents on ${NODES.map((n) => `${n.ip}:${healthPort}`).join(', ')}`);
    for (const n of NODES) startAgent(n);
    await until('every node active and in both DNS answers', allServing, 60_000, 250);

    const results: ThreeNodeKill[] = [];
    for (let k = 0; k < kills; k += 1) {
      const victim = NODES[k % NODES.length] ?? NODES[0];
      if (!victim) break;
      const gitBefore = execFileSync('git', ['--git-dir', fixture.bare, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
      const killedAt = performance.now();
      agents.get(victim.name)?.kill('SIGKILL');
      const seen = await observeKill({
        domain: DOMAIN,
        xplanePort: xplaneDns,
        powerdnsPort: pdnsPort,
        ip: victim.ip,
        healthPort,
        killedAt,
        untilRevived: false,
        timeoutMs: GONE_TIMEOUT_MS,
      });

      let gitMs: number | null = null;
      if (k < gitKills) {
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
      results.push({ node: victim.name, ...seen, gitMs });
      progress(
        `three nodes: kill ${k + 1}/${kills} ${victim.name}: xplane ${seen.xplane.goneMs ?? 'timeout'} ms, PowerDNS ${seen.powerdns.goneMs ?? 'timeout'} ms${k < gitKills ? `, git ${gitMs ?? 'timeout'} ms` : ''}`,
      );

      startAgent(victim);
      await until(`${victim.name} active and answered again`, allServing, 60_000, 250);
    }
    return {
      settings: { healthInterval: `${INTERVAL_S}s`, timeout: TIMEOUT, fall: FALL, ttl: TTL, nodes: NODES.length },
      powerdnsRecord: pdns.record,
      kills: results,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    pdns?.stop();
    await serve?.stop();
    fixture.cleanup();
  }
}
