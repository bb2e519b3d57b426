// Node agents a previous playground left behind. The LocalNode provider
// starts every agent detached, so one killed with `kill -9` (or stopped while
// a converge raced its destroy) leaves its agents running on their loopback
// addresses, heartbeating a control plane that is gone; the next start's
// refresh then sees them alive and keeps them, or cannot bind new ones.
//
// Facts come from /proc (proc.ts) and the pid files; planLeftovers decides,
// as a value, what to stop, which pid files to forget and which addresses
// another program holds; clearLeftovers does it and says so.
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { localNodeAddress } from '../../program/local-addresses.js';
import { isDeclarationPath, parseDeclarations, type Declarations } from '../config/index.js';
import { readBlobs } from '../gitops/index.js';
import { allProcesses, blocks, commandLine, listeners, readProcess, socketOwners, type ProcessInfo } from './proc.js';

/** The local target's state in a playground: the program's `.xplane/local` in the inline converge checkout. */
export function localStateDir(dir: string): string {
  return join(dir, 'checkout', '.xplane', 'local');
}

/** Where the LocalNode provider writes `<node>.pid` and `<node>.log`. */
export function nodesDir(dir: string): string {
  return join(localStateDir(dir), 'nodes');
}

/** The node an agent command line runs (`xplane agent … --name <node>`, or the one-file `xplane-agent.mjs … --name <node>`), or undefined for any other command. */
export function agentNode(args: string[]): string | undefined {
  const at = args.indexOf('--name');
  const agent = args.includes('agent') || args.some((a) => a.endsWith('/xplane-agent.mjs'));
  return agent && at >= 0 ? args[at + 1] : undefined;
}

/**
 * Whether `p` is a node agent of the playground whose local state dir is
 * `stateDir`. The provider starts each agent with that working directory, so
 * it tells this playground's agents from another playground's, whose node
 * names are the same.
 */
export function isPlaygroundAgent(p: ProcessInfo, stateDir: string): boolean {
  return agentNode(p.args) !== undefined && p.cwd === stateDir;
}

/** A node and the `ip:port` it listens on. */
export interface NodeAddress {
  node: string;
  address: string;
}

/** A pid file of the provider: `<node>.pid` holding `pid` (NaN when unreadable). */
export interface PidFile {
  node: string;
  pid: number;
}

/** A listening socket that keeps a node's address from being bound, and who has it open (null: a process this user cannot look into). */
export interface Blocker extends NodeAddress {
  inode: number;
  holder: ProcessInfo | null;
}

/** What is known about a playground's leftovers. */
export interface LeftoverFacts {
  stateDir: string;
  pidFiles: PidFile[];
  /** Every live process. */
  processes: ProcessInfo[];
  blockers: Blocker[];
}

/** What to do about them. */
export interface LeftoverPlan {
  /** This playground's agents that still run: stopped. */
  stop: { node: string; pid: number }[];
  /** Pid files whose process is gone, or is not that node's agent (a recycled pid): deleted; the process is left alone. */
  forget: (PidFile & { other: ProcessInfo | null })[];
  /** Addresses the playground needs that another program holds: reported, never killed. */
  blocked: Blocker[];
}

/** Decides what to do about a playground's leftovers; no IO. */
export function planLeftovers(facts: LeftoverFacts): LeftoverPlan {
  const ours = facts.processes.filter((p) => isPlaygroundAgent(p, facts.stateDir));
  const isOurs = (pid: number, node?: string): boolean => ours.some((p) => p.pid === pid && (node === undefined || agentNode(p.args) === node));
  return {
    stop: ours.map((p) => ({ node: agentNode(p.args) ?? '?', pid: p.pid })),
    forget: facts.pidFiles.filter((f) => !isOurs(f.pid, f.node)).map((f) => ({ ...f, other: facts.processes.find((p) => p.pid === f.pid) ?? null })),
    blocked: facts.blockers.filter((b) => b.holder === null || !isOurs(b.holder.pid)),
  };
}

/** The lines that tell the person what the plan does. */
export function describeLeftovers(plan: LeftoverPlan, when: 'start' | 'stop'): string[] {
  const lines: string[] = [];
  for (const s of plan.stop) {
    lines.push(
      when === 'start'
        ? `found node ${s.node} (pid ${s.pid}) left running by an earlier playground in this directory: stopping it`
        : `node ${s.node} (pid ${s.pid}) outlived the destroy: stopping it`,
    );
  }
  for (const f of plan.forget) {
    if (f.other !== null && when === 'start')
      lines.push(`${f.node}.pid names pid ${f.pid}, which now runs something else (${commandLine(f.other)}): leaving that process alone`);
  }
  for (const b of plan.blocked) {
    const who = b.holder === null ? `a process this user cannot look into (socket inode ${b.inode})` : `pid ${b.holder.pid}: ${commandLine(b.holder)}`;
    lines.push(
      `${b.address}, the address of node ${b.node}, is held by ${who} — not this playground’s, so it is left alone and ${b.node} cannot start until it is stopped`,
    );
  }
  return lines;
}

/** Whether this machine has a /proc to read processes from; without one there are no facts to act on. */
export function canSeeProcesses(): boolean {
  return existsSync('/proc/self/cmdline');
}

function realDir(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The provider's pid files in `dir`'s playground. */
export function readPidFiles(dir: string): PidFile[] {
  let names: string[];
  try {
    names = readdirSync(nodesDir(dir));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.pid'))
    .map((n) => {
      let text = '';
      try {
        text = readFileSync(join(nodesDir(dir), n), 'utf8').trim();
      } catch {
        // unreadable: NaN below, so forgotten
      }
      return { node: n.slice(0, -'.pid'.length), pid: /^[0-9]+$/.test(text) ? Number(text) : NaN };
    });
}

/** Reads the facts about `dir`'s playground: its pid files, the processes, and who holds `addresses`. */
export function leftoverFacts(dir: string, addresses: NodeAddress[]): LeftoverFacts {
  const processes = allProcesses();
  const blocking = listeners().flatMap((l) =>
    addresses.flatMap((a) => {
      const at = a.address.lastIndexOf(':');
      return blocks(l, a.address.slice(0, at), Number(a.address.slice(at + 1))) ? [{ ...a, inode: l.inode }] : [];
    }),
  );
  // Reading every process's fds is the slow part: only when an address is taken.
  const owners = blocking.length > 0 ? socketOwners(processes) : new Map<number, ProcessInfo[]>();
  const blockers = blocking.flatMap((b): Blocker[] => {
    const holders = owners.get(b.inode) ?? [];
    return holders.length === 0 ? [{ ...b, holder: null }] : holders.map((holder) => ({ ...b, holder }));
  });
  return { stateDir: realDir(localStateDir(dir)), pidFiles: readPidFiles(dir), processes, blockers };
}

const POLL_MS = 50;

/** SIGTERM, then SIGKILL for whatever still runs after `graceMs`; resolves once all are gone (or 2 s after the SIGKILL). */
export async function stopProcesses(pids: number[], graceMs: number): Promise<void> {
  const running = (): number[] => pids.filter((pid) => readProcess(pid) !== null);
  const send = (signal: NodeJS.Signals): void => {
    for (const pid of running()) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  };
  const waitGone = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (running().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, POLL_MS));
  };
  send('SIGTERM');
  await waitGone(graceMs);
  send('SIGKILL');
  // SIGKILL is not instant either; the address must be free before a new agent binds it.
  await waitGone(2_000);
}

/**
 * How long a leftover gets to exit on SIGTERM. Its control plane is gone, so
 * its drain request fails at once; the grace only covers a slow machine.
 */
export const LEFTOVER_GRACE_MS = 2_000;

/** Stops this playground's leftover agents and forgets stale pid files; returns the plan, its lines already said. */
export async function clearLeftovers(dir: string, addresses: NodeAddress[], when: 'start' | 'stop', say: (line: string) => void): Promise<LeftoverPlan> {
  const empty: LeftoverPlan = { stop: [], forget: [], blocked: [] };
  if (!canSeeProcesses()) return empty;
  const plan = planLeftovers(leftoverFacts(dir, addresses));
  for (const line of describeLeftovers(plan, when)) say(line);
  await stopProcesses(
    plan.stop.map((s) => s.pid),
    LEFTOVER_GRACE_MS,
  );
  for (const f of plan.forget) rmSync(join(nodesDir(dir), `${f.node}.pid`), { force: true });
  return plan;
}

/** The address of every node the stacks want on the local target, derived as the program derives it (program/region-stack.ts). */
export function localNodeAddresses(d: Declarations): NodeAddress[] {
  const regions = Object.keys(d.regions);
  const services = Object.keys(d.gtm);
  const found: NodeAddress[] = [];
  for (const [region, stack] of Object.entries(d.stacks)) {
    if (d.regions[region]?.provider !== 'local') continue;
    for (const [service, pool] of Object.entries(stack.pools)) {
      const gtm = d.gtm[service];
      if (!gtm) continue;
      for (const node of pool.nodes) {
        try {
          found.push({ node, address: localNodeAddress({ regions, services, region, service, node }, gtm.health.port) });
        } catch {
          // A name without a loopback address: the program reports it at converge.
        }
      }
    }
  }
  return found;
}

/** The node addresses the playground's repo wants at the tip of `branch`; none when it does not validate (converge reports that). */
export async function wantedNodeAddresses(bare: string, branch: string): Promise<NodeAddress[]> {
  let files: { path: string; text: string }[];
  try {
    files = await readBlobs(bare, branch, ['platform-config', 'stacks']);
  } catch {
    // No such branch yet, say: there is nothing to check, and the sync says what is wrong.
    return [];
  }
  const result = parseDeclarations(files.filter((f) => isDeclarationPath(f.path)));
  return result.ok ? localNodeAddresses(result.declarations) : [];
}

/** The `--dir` of an `xplane demo` command line, resolved against its working directory; undefined for any other command. */
export function demoDir(p: ProcessInfo): string | undefined {
  const at = p.args.indexOf('demo');
  if (at < 1 || !p.args.slice(0, at).some((a) => /(^|\/)xplane(\.js)?$/.test(a)) || p.cwd === null) return undefined;
  const rest = p.args.slice(at + 1);
  const flag = rest.indexOf('--dir');
  const inline = rest.find((a) => a.startsWith('--dir='));
  const dir = flag >= 0 ? rest[flag + 1] : inline?.slice('--dir='.length);
  return resolve(p.cwd, dir ?? '.xplane/demo');
}

/** Another running playground in `dir`, whose nodes are not leftovers at all; this process and its wrappers (npx, npm) do not count. */
export function livePlayground(dir: string, processes: ProcessInfo[], self = process.pid): ProcessInfo | undefined {
  const parent = new Map(processes.map((p) => [p.pid, p.ppid]));
  const mine = new Set<number>();
  let pid: number | undefined = self;
  while (pid !== undefined && !mine.has(pid)) {
    mine.add(pid);
    pid = parent.get(pid);
  }
  const want = realDir(dir);
  return processes.find((p) => {
    const other = mine.has(p.pid) ? undefined : demoDir(p);
    return other !== undefined && realDir(other) === want;
  });
}
