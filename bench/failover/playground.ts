// bench:failover, path 2: the path a user gets. A real `xplane demo` (what
// `npm start` runs): the playground's own seeded repo and settings, inline
// converge with the real Pulumi engine, agents on 127.R.S.N:8080, and the
// kill of a region's only node (jp has one node, sg has one). After each kill
// the playground's converge starts the node again (same name, same address),
// so the observation runs until a process accepts connections there again;
// answers with the address after that are answers with a live process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDeclarations, type GtmPolicy } from '../../src/config/index.js';
import { writePlaygroundRepo } from '../../src/demo/index.js';
import { freePort, progress, ROOT } from '../../test/helpers/serve.js';
import { addresses, observeKill, sleep, until, type KillObservation } from './measure.js';
import { startPowerDns } from './powerdns.js';

const SERVICE = 'svc-plus';
const ADMIN = 'demo-admin-token';
/** The node killed each time: jp's only node. jp's weight (100 against sg's 10) puts it in nearly every xplane answer, so its presence is seen in every round. */
const VICTIM = 'jp-svc-plus-1';
const OBSERVE_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 180_000;

/** One kill of path 2. */
export interface PlaygroundKill extends KillObservation {
  node: string;
  /** ms from the kill to the registry's `down` (the demo's log line, as the bench received it). */
  registryDownMs: number | null;
  /** The registry's cause of the `down`. */
  cause: string | null;
}

/** What path 2 ran with and measured. */
export interface PlaygroundRun {
  settings: { healthInterval: string; timeout: string; fall: number; rise: number; ttl: number; port: number; path: string; regions: string };
  powerdnsRecord: string;
  kills: PlaygroundKill[];
}

/** The playground's gtm declaration of svc-plus, from the same seed `xplane demo` writes. */
async function playgroundGtm(dir: string): Promise<GtmPolicy> {
  const seed = mkdtempSync(join(dir, 'seed-'));
  try {
    await writePlaygroundRepo(ROOT, seed);
    const loaded = await loadDeclarations(seed);
    if (!loaded.ok) throw new Error(`the playground seed does not load: ${loaded.issues.map((i) => i.message).join('; ')}`);
    const gtm = loaded.declarations.gtm[SERVICE];
    if (!gtm) throw new Error(`the playground seed has no gtm file for ${SERVICE}`);
    return gtm;
  } finally {
    rmSync(seed, { recursive: true, force: true });
  }
}

/** Runs path 2 with `kills` kills of jp's only node; `pulumiCli` runs the playground's converges. */
export async function runPlayground(dir: string, kills: number, pulumiCli: string): Promise<PlaygroundRun> {
  mkdirSync(dir, { recursive: true });
  const gtm = await playgroundGtm(dir);
  const h = gtm.health;
  const demoDir = join(dir, 'demo');
  const api = await freePort();
  const dnsPort = await freePort();
  const url = `http://127.0.0.1:${api}`;
  progress(`playground: starting xplane demo (health every ${h.interval} ms, timeout ${h.timeout} ms, rise ${h.rise}, fall ${h.fall}; state in ${demoDir})`);
  const demo: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin/xplane.js'), 'demo', '--dir', demoDir, '--listen', `127.0.0.1:${api}`, '--dns-listen', `127.0.0.1:${dnsPort}`],
    {
      env: { ...process.env, PULUMI_CLI_PATH: pulumiCli, XPLANE_LOG_LEVEL: 'info', XPLANE_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let tail = '';
  let pending = '';
  // The registry's transitions as they happen, and the converges running: the bench kills only when none runs.
  const downs: { node: string; at: number; cause: string }[] = [];
  const converging = new Set<string>();
  demo.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  demo.stderr?.on('data', (c: Buffer) => {
    const at = performance.now();
    tail = (tail + c.toString()).slice(-8000);
    const lines = (pending + c.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      let entry: { msg?: unknown; node?: unknown; to?: unknown; cause?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      const msg = typeof entry.msg === 'string' ? entry.msg : '';
      if (entry.to === 'down' && typeof entry.node === 'string') downs.push({ node: entry.node, at, cause: String(entry.cause) });
      const started = /^\[([\w-]+)\] \w+ started/.exec(msg);
      if (started?.[1]) converging.add(started[1]);
      const ended = /^\[([\w-]+)\] \w+ in /.exec(msg);
      if (ended?.[1]) converging.delete(ended[1]);
    }
  });
  const nodesDir = join(demoDir, 'checkout', '.xplane', 'local', 'nodes');
  let pdns: Awaited<ReturnType<typeof startPowerDns>> | undefined;
  try {
    await until(
      'the playground to be up',
      () => {
        if (demo.exitCode !== null) throw new Error(`xplane demo exited with ${demo.exitCode}:\n${stdout}\n${tail}`);
        return Promise.resolve(stdout.includes('xplane playground is up') ? true : undefined);
      },
      120_000,
      200,
    );
    const nodes = async (): Promise<{ name: string; address: string; state: string }[]> => {
      const res = await fetch(`${url}/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return (await res.json()) as { name: string; address: string; state: string }[];
    };
    progress('playground: waiting for its nodes to converge, register and turn active');
    const registered = await until(
      'both playground nodes active',
      async () => {
        const list = await nodes().catch(() => []);
        return list.length >= 2 && list.every((n) => n.state === 'active') ? list : undefined;
      },
      READY_TIMEOUT_MS,
      250,
    );
    const ipOf = (address: string): string => address.slice(0, address.lastIndexOf(':'));
    const victim = registered.find((n) => n.name === VICTIM);
    if (!victim) throw new Error(`no ${VICTIM} in the playground: ${registered.map((n) => n.name).join(', ')}`);
    const victimIp = ipOf(victim.address);

    progress(`playground: starting PowerDNS with ifurlup over ${registered.map((n) => `${ipOf(n.address)}:${h.port}`).join(', ')}`);
    pdns = await startPowerDns(join(dir, 'pdns-playground'), {
      domain: gtm.domain,
      zone: gtm.dns.zone,
      ttl: gtm.dns.ttl,
      candidates: registered.map((n) => ipOf(n.address)),
      port: h.port,
      path: h.path,
      intervalS: Math.max(1, Math.round(h.interval / 1000)),
      fall: h.fall,
      timeoutS: Math.max(1, Math.round(h.timeout / 1000)),
    });
    const pdnsPort = pdns.port;

    // Ready for a kill: the node active, both servers answering with it, and no converge running.
    const ready = async (): Promise<boolean | undefined> => {
      if (converging.size > 0) return undefined;
      const list = await nodes().catch(() => []);
      if (list.find((n) => n.name === VICTIM)?.state !== 'active') return undefined;
      const x = await addresses(gtm.domain, dnsPort, 10);
      const p = await addresses(gtm.domain, pdnsPort, 1);
      return x.has(victimIp) && p.has(victimIp) ? true : undefined;
    };

    const results: PlaygroundKill[] = [];
    for (let k = 0; k < kills; k += 1) {
      progress(`playground: kill ${k + 1}/${kills}: waiting until ${VICTIM} is active, in both answers, and no converge runs`);
      await until(`${VICTIM} active and answered by both servers`, ready, READY_TIMEOUT_MS, 250);
      // A random moment, so kills do not line up with the probe schedules.
      await sleep(500 + Math.random() * 1000);
      const pid = agentPid(nodesDir, VICTIM);
      if (pid === undefined) throw new Error(`no running agent of ${VICTIM} in ${nodesDir}`);
      const downsBefore = downs.length;
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      const seen = await observeKill({
        domain: gtm.domain,
        xplanePort: dnsPort,
        powerdnsPort: pdnsPort,
        ip: victimIp,
        healthPort: h.port,
        killedAt,
        untilRevived: true,
        timeoutMs: OBSERVE_TIMEOUT_MS,
      });
      const down = downs.slice(downsBefore).find((d) => d.node === VICTIM);
      results.push({
        node: VICTIM,
        ...seen,
        registryDownMs: down ? Math.round(down.at - killedAt) : null,
        cause: down?.cause ?? null,
      });
      progress(
        `playground: kill ${k + 1}/${kills} ${VICTIM}: xplane ${seen.xplane.goneMs ?? 'timeout'} ms (registry down ${down ? Math.round(down.at - killedAt) : '?'} ms, ${down?.cause ?? ''}), PowerDNS ${seen.powerdns.goneMs ?? 'timeout'} ms; restarted by the converge after ${seen.revivedMs ?? '?'} ms; ${seen.rounds} rounds, longest gap ${seen.maxGapMs} ms`,
      );
    }
    return {
      settings: {
        healthInterval: `${h.interval}ms`,
        timeout: `${h.timeout}ms`,
        fall: h.fall,
        rise: h.rise,
        ttl: gtm.dns.ttl,
        port: h.port,
        path: h.path,
        regions: gtm.regions.map((r) => `${r.name} (weight ${r.weight})`).join(', '),
      },
      powerdnsRecord: pdns.record,
      kills: results,
    };
  } finally {
    pdns?.stop();
    await stopDemo(demo, nodesDir);
  }
}

/** Ctrl-C, as a person would: the playground removes its nodes; then no agent of it may outlive the bench. */
async function stopDemo(demo: ChildProcess, nodesDir: string): Promise<void> {
  if (demo.exitCode === null && demo.signalCode === null) {
    progress('playground: stopping (Ctrl-C: it removes its nodes)');
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    const timer = setTimeout(() => demo.kill('SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
  }
  let files: string[] = [];
  try {
    files = readdirSync(nodesDir);
  } catch {
    // no nodes were started
  }
  for (const f of files) {
    const pid = f.endsWith('.pid') ? agentPid(nodesDir, f.slice(0, -'.pid'.length)) : undefined;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
}

/** The pid the playground recorded for `node`, while that process is still the node's agent (pids are reused). */
function agentPid(nodesDir: string, node: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(nodesDir, `${node}.pid`), 'utf8'));
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args[args.indexOf('--name') + 1] === node ? pid : undefined;
  } catch {
    return undefined;
  }
}
