// What Linux's /proc says about processes and listening sockets: enough for
// the playground to recognise its own node agents and to name whoever else
// holds an address it needs. Elsewhere (no /proc) every lookup comes back
// empty, and the playground falls back to what the Pulumi engine does.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename } from 'node:path';

/** A live process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** argv; empty for a kernel thread. */
  args: string[];
  /** The working directory, or null when it cannot be read (another user's process). */
  cwd: string | null;
}

/** A listening TCP socket. */
export interface Listener {
  /** `0.0.0.0` / `::` for a wildcard bind. */
  ip: string;
  port: number;
  inode: number;
}

/** A process, or null when it is gone or a zombie (a zombie holds no socket and runs no code). */
export function readProcess(pid: number, proc = '/proc'): ProcessInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself hold spaces and parentheses: fields start after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return null;
    const args = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    let cwd: string | null = null;
    try {
      cwd = readlinkSync(`${proc}/${pid}/cwd`);
    } catch {
      // Another user's process: its cwd is private.
    }
    return { pid, ppid: Number(ppid), args, cwd };
  } catch {
    return null;
  }
}

/** Every live process. */
export function allProcesses(proc = '/proc'): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync(proc);
  } catch {
    return [];
  }
  return names.filter((n) => /^[0-9]+$/.test(n)).flatMap((n) => readProcess(Number(n), proc) ?? []);
}

/** Every process below `pid` (children, their children, …). */
export function descendantsOf(pid: number, processes: ProcessInfo[]): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const next = processes.filter((p) => parents.has(p.ppid));
    found.push(...next);
    parents = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** The command line as one line, for messages. */
export function commandLine(p: ProcessInfo): string {
  return p.args.map((a) => a.replace(/\s+/g, ' ')).join(' ');
}

/** Whether the process runs the program `name` (`pulumi`, …). */
export function runs(p: ProcessInfo, name: string): boolean {
  return p.args[0] !== undefined && basename(p.args[0]) === name;
}

// /proc/net/tcp{,6} print an address as the hex of its 32-bit words, each in
// host byte order: on a little-endian machine 127.0.0.1 reads 0100007F.
function addressBytes(hex: string, le: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(le ? word.reverse() : word));
  }
  return bytes;
}

function formatIp(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  // Only the wildcard and IPv4-mapped forms matter here (a node's address is IPv4); others print uncompressed.
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseListeners(text: string, le = endianness() === 'LE'): Listener[] {
  const LISTEN = '0A';
  const listeners: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, state, inode] = [fields[1], fields[3], fields[9]];
    if (local === undefined || state !== LISTEN || inode === undefined) continue;
    const [ipHex, portHex] = local.split(':');
    if (ipHex === undefined || portHex === undefined) continue;
    listeners.push({ ip: formatIp(addressBytes(ipHex, le)), port: parseInt(portHex, 16), inode: Number(inode) });
  }
  return listeners;
}

/** Whether `listener` keeps `ip:port` from being bound: the same address, or a wildcard on the same port. */
export function blocks(listener: Listener, ip: string, port: number): boolean {
  return listener.port === port && (listener.ip === ip || listener.ip === '0.0.0.0' || listener.ip === '::' || listener.ip === `::ffff:${ip}`);
}

/** The listening sockets of this machine (network namespace). */
export function listeners(proc = '/proc'): Listener[] {
  const read = (file: string): string => {
    try {
      return readFileSync(`${proc}/net/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  return [...parseListeners(read('tcp')), ...parseListeners(read('tcp6'))];
}

/** Socket inode → the processes that have it open (those this user may look into). */
export function socketOwners(processes: ProcessInfo[], proc = '/proc'): Map<number, ProcessInfo[]> {
  const owners = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${p.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${p.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[([0-9]+)\]$/.exec(target);
      if (!m) continue;
      const inode = Number(m[1]);
      const list = owners.get(inode) ?? [];
      if (!list.some((q) => q.pid === p.pid)) list.push(p);
      owners.set(inode, list);
    }
  }
  return owners;
}
