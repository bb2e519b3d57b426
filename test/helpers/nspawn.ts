// A Debian root filesystem booted by systemd-nspawn, for tests that need a
// real machine: systemd as PID 1, its generators and units, cloud-init. The
// root comes from scripts/debian-root.sh (cached by release outside the
// checkout) and is copied fresh for every boot, so a boot never sees what an
// earlier one wrote.
//
// The network: a booted container on the host's network namespace disturbed
// other tests' loopback servers, so everything here runs in private
// namespaces (runInPrivateNamespaces): a network namespace of its own with
// only `lo`, and a PID namespace whose init is the test's own process, so the
// kernel kills the container and everything else the test started when that
// process ends, however it ends.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../src/testing/index.js';

/** What `command -v` must find to boot a root; mmdebstrap is installed by debian-root.sh itself when apt-get is there. */
const TOOLS = ['systemd-nspawn', 'unshare', 'nsenter', 'ip', 'tar'];

/** What this machine lacks to build and boot a Debian root (empty: nothing). */
export function bootMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (systemd-nspawn and unshare)');
  const has = (tool: string): boolean => (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, tool)));
  for (const tool of TOOLS) if (!has(tool)) missing.push(tool === 'systemd-nspawn' ? 'systemd-nspawn (Debian package systemd-container)' : tool);
  if (!has('mmdebstrap') && !has('apt-get')) missing.push('mmdebstrap (or apt-get to install it)');
  return missing;
}

/** The output of one command. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by `timeoutMs`, then SIGKILL); never rejects for a non-zero exit. */
export function run(file: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: options.env ?? process.env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr: err && code === null ? `${stderr}${err.message}` : stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A release's root from scripts/debian-root.sh: where, whether this call built it, and how long it took. */
export interface CachedRoot {
  path: string;
  built: boolean;
  ms: number;
}

/** Builds the root of `release` or takes it from the cache (the script's job); bounded by `timeoutMs`. */
export async function debianRoot(release: string, timeoutMs = 15 * 60_000): Promise<CachedRoot> {
  const started = performance.now();
  const result = await run(join(REPO_ROOT, 'scripts/debian-root.sh'), [release], { timeoutMs });
  const path = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || path === '') throw new Error(`scripts/debian-root.sh ${release} failed (${result.code}):\n${result.stderr.slice(-4000)}`);
  return { path, built: !result.stderr.includes('using cached'), ms: Math.round(performance.now() - started) };
}

/**
 * Makes `dest` a fresh copy of the cached root: unpacks it when it is a tarball, copies it
 * when it is a directory (mmdebstrap picks the format from the file name). Returns the ms taken.
 */
export async function copyRoot(source: string, dest: string): Promise<number> {
  const started = performance.now();
  mkdirSync(dest, { recursive: true });
  const result = statSync(source).isDirectory()
    ? await run('cp', ['-a', '--reflink=auto', `${source}/.`, dest], { timeoutMs: 300_000 })
    : await run('tar', ['--numeric-owner', '-xpf', source, '-C', dest], { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`copying the root ${source} to ${dest} failed: ${result.stderr}`);
  return Math.round(performance.now() - started);
}

/** The `net:[inode]` identity of a process's network namespace, or undefined when it is gone. */
export function netnsOf(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** A process as /proc shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  netns: string | undefined;
  uid: number;
}

/** Every process this /proc shows (those that vanish while it is read are left out). */
export function processes(): ProcInfo[] {
  const list: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? NaN);
      list.push({ pid: Number(entry), ppid, comm, argv, netns: netnsOf(Number(entry)), uid });
    } catch {
      // exited meanwhile
    }
  }
  return list;
}

/** What to boot and how. */
export interface BootOptions {
  root: string;
  /** The container's name (nspawn's --machine); also its hostname until cloud-init sets one. */
  machine: string;
  /** The network namespace the container joins, e.g. /proc/<pid>/ns/net. */
  netnsPath: string;
  /** Where the container's console output goes. */
  consoleLog: string;
  /** Capabilities beyond nspawn's default set, e.g. CAP_NET_ADMIN. */
  capabilities?: string[];
}

/** A booted container. */
export interface Container {
  nspawn: ChildProcess;
  /** The container's PID 1 (systemd) as this PID namespace numbers it, once it exists. */
  init(): number | undefined;
  /** Runs a command inside the container's namespaces (mount, uts, ipc, net, pid). */
  exec(args: string[], timeoutMs?: number): Promise<Run>;
  /** The last `chars` of the console output. */
  console(chars?: number): string;
  /** Asks systemd to power off (SIGTERM to nspawn), SIGKILLs after `timeoutMs`; resolves when nspawn has exited. */
  poweroff(timeoutMs?: number): Promise<'clean' | 'killed'>;
}

/** Boots `root` with systemd as PID 1 and returns at once; wait on what the test needs. */
export function bootContainer(options: BootOptions): Container {
  const args = [
    '--quiet',
    // Talk to no systemd or machined of the host: there may be none (a container, a CI sandbox),
    // and from a private PID namespace the PIDs nspawn would hand them name other processes there.
    // The container stays in the caller's cgroup.
    '--register=no',
    '--keep-unit',
    `--machine=${options.machine}`,
    `--directory=${options.root}`,
    `--network-namespace-path=${options.netnsPath}`,
    // The host's journal stays untouched; console output is for the test's diagnostics.
    '--link-journal=no',
    '--console=read-only',
    ...(options.capabilities ?? []).map((cap) => `--capability=${cap}`),
    '--boot',
  ];
  const fd = openSync(options.consoleLog, 'a');
  const nspawn = spawn('systemd-nspawn', args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => nspawn.once('exit', () => resolve()));
  let initPid: number | undefined;
  const init = (): number | undefined => {
    if (initPid !== undefined && existsSync(`/proc/${initPid}`)) return initPid;
    initPid = processes().find((p) => p.ppid === nspawn.pid && p.comm === 'systemd')?.pid;
    return initPid;
  };
  return {
    nspawn,
    init,
    exec: async (command, timeoutMs = 30_000) => {
      const pid = init();
      if (pid === undefined) return { code: null, stdout: '', stderr: 'the container has no init (not booted, or gone)' };
      return run('nsenter', [`--target=${pid}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--', ...command], { timeoutMs });
    },
    console: (chars = 4000) => {
      try {
        return readFileSync(options.consoleLog, 'utf8').slice(-chars);
      } catch {
        return '';
      }
    },
    poweroff: async (timeoutMs = 20_000) => {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) return 'clean';
      // nspawn turns SIGTERM into SIGRTMIN+3 for a booted init: systemd's orderly shutdown.
      nspawn.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        exited.then(() => 'clean' as const),
        new Promise<'killed'>((resolve) => (timer = setTimeout(() => resolve('killed'), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (outcome === 'killed') {
        const pid = init();
        if (pid !== undefined) process.kill(pid, 'SIGKILL'); // ends the container's PID namespace
        nspawn.kill('SIGKILL');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }
      return outcome;
    },
  };
}

/** How a run in private namespaces ended. */
export interface NamespacedRun extends Run {
  signal: NodeJS.Signals | null;
  /** The private network namespace's identity (`net:[inode]`), to check nothing is left in it. */
  netns: string | undefined;
}

/**
 * Runs `node --import tsx <file>` with `env` in new network, PID and mount namespaces
 * (unshare), `lo` up. The process is PID 1 there: when it exits, the kernel ends
 * everything it started. After `timeoutMs` it gets SIGTERM (to clean up), and SIGKILL
 * 30 s later; it also gets SIGTERM should unshare die.
 */
export function runInPrivateNamespaces(file: string, env: NodeJS.ProcessEnv, timeoutMs: number, onStderr?: (text: string) => void): Promise<NamespacedRun> {
  return new Promise((resolve) => {
    const script = `ip link set lo up && exec "$0" --import tsx "$1"`;
    // --kill-child: if unshare itself dies, the child still gets its SIGTERM.
    const child = spawn('unshare', ['--net', '--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM', '--', 'sh', '-c', script, process.execPath, file], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let netns: string | undefined;
    const own = netnsOf('self');
    const learnNetns = setInterval(() => {
      const ns = child.pid === undefined ? undefined : netnsOf(child.pid);
      if (ns !== undefined && ns !== own) {
        netns = ns;
        clearInterval(learnNetns);
      }
    }, 5);
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString()).slice(-200_000)));
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-200_000);
      onStderr?.(c.toString());
    });
    // unshare blocks SIGTERM while it waits for its child: signal the child (the job) itself.
    const job = (): number | undefined => processes().find((p) => p.ppid === child.pid)?.pid;
    const signal = (name: NodeJS.Signals): void => {
      const pid = job();
      if (pid !== undefined) process.kill(pid, name);
      else child.kill('SIGKILL');
    };
    const term = setTimeout(() => {
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 30_000).unref();
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(term);
      clearInterval(learnNetns);
      resolve({ code, signal, stdout, stderr, netns });
    });
  });
}
