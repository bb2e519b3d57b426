// Stale stack locks in the playground's file backend. The Automation API runs
// the program inside the playground's process, so a playground killed during
// a converge takes the program away from its `pulumi up`, which then exits
// without releasing the stack's lock. A file backend has no `pulumi cancel`;
// every later converge would fail with "the stack is currently locked" and
// the playground would never start a node again. A lock records the pid and
// host of the CLI that took it, so one whose process is gone can go.
import { hostname } from 'node:os';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readProcess, runs, type ProcessInfo } from './proc.js';

/** One lock file: `.pulumi/locks/<org>/<project>/<stack>/<id>.json`. */
export interface StackLock {
  file: string;
  stack: string;
  pid: number;
  hostname: string;
}

/** Whether the lock's CLI is gone: taken on this host, and its pid no longer runs `pulumi` (null: no such process). */
export function isStaleLock(lock: StackLock, host: string, holder: ProcessInfo | null): boolean {
  return lock.hostname === host && !(holder !== null && runs(holder, 'pulumi'));
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every lock in the file backend at `backendDir`. */
export function readLocks(backendDir: string): StackLock[] {
  const root = join(backendDir, '.pulumi', 'locks');
  const locks: StackLock[] = [];
  for (const org of entries(root)) {
    for (const project of entries(join(root, org))) {
      for (const stack of entries(join(root, org, project))) {
        for (const name of entries(join(root, org, project, stack)).filter((n) => n.endsWith('.json'))) {
          const file = join(root, org, project, stack, name);
          try {
            const { pid, hostname: host } = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; hostname?: unknown };
            locks.push({ file, stack, pid: typeof pid === 'number' ? pid : NaN, hostname: typeof host === 'string' ? host : '' });
          } catch {
            // Half-written or not a lock: leave it to Pulumi.
          }
        }
      }
    }
  }
  return locks;
}

/** Removes the stale locks of the file backend at `backendDir`, saying each; call only with /proc to look at. */
export function clearStaleLocks(backendDir: string, say: (line: string) => void): StackLock[] {
  const stale = readLocks(backendDir).filter((lock) => isStaleLock(lock, hostname(), readProcess(lock.pid)));
  for (const lock of stale) {
    say(`removed a stale lock of stack ${lock.stack}: its pulumi process ${lock.pid} is gone (a playground stopped mid-converge)`);
    rmSync(lock.file, { force: true });
    // The file backend keeps each blob's metadata beside it.
    rmSync(`${lock.file}.attrs`, { force: true });
  }
  return stale;
}
