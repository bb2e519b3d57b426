// Human overrides (contract §4): a commit not made by the loop that changes a
// pool key the loop owns — a `git revert`, a hand edit — wins over the loop
// for a while. This finds such changes in a range of history.
import type { PoolKey } from '../decision/index.js';
import { readPools } from '../stacks/index.js';
import type { Pool } from '../config/index.js';
import { git, GitError } from './git.js';

/** One owned pool key changed by someone other than the loop. */
export interface HumanChange {
  commit: string;
  author: string;
  /** Commit time, epoch ms. */
  time: number;
  region: string;
  service: string;
  key: PoolKey;
}

/** Where to look for human changes. */
export interface OverrideScan {
  /** The last commit already scanned, or null to scan by time. */
  from: string | null;
  to: string;
  /** With `from` null: only commits newer than this (epoch ms). */
  since: number;
  /** The loop's own commits are not overrides. */
  botEmail: string;
}

const STACK_FILE = /^stacks\/Pulumi\.([^/]+)\.yaml$/;

async function show(dir: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return await git(dir, ['show', `${rev}:${path}`]);
  } catch (err) {
    if (err instanceof GitError) return undefined;
    throw err;
  }
}

function pools(text: string | undefined): Record<string, Pool> | undefined {
  if (text === undefined) return {};
  try {
    return readPools(text);
  } catch {
    return undefined;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Lists owned pool keys changed by non-loop commits in the scanned range, oldest first. */
export async function findHumanChanges(dir: string, scan: OverrideScan): Promise<HumanChange[]> {
  const range = scan.from ? [`${scan.from}..${scan.to}`] : [scan.to, `--since=@${Math.floor(scan.since / 1000)}`];
  const log = await git(dir, ['log', '--no-merges', '--reverse', '--format=%H%x00%P%x00%ae%x00%an%x00%ct', ...range, '--', 'stacks']);
  const changes: HumanChange[] = [];
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const [commit = '', parents = '', email = '', name = '', at = '0'] = line.split('\0');
    if (email.toLowerCase() === scan.botEmail.toLowerCase()) continue;
    const parent = parents.split(' ')[0] ?? '';
    const files = parent === '' ? await git(dir, ['ls-tree', '-r', '--name-only', commit, '--', 'stacks']) : await git(dir, ['diff-tree', '--no-commit-id', '--name-only', '-r', parent, commit, '--', 'stacks']);
    for (const path of files.split('\n')) {
      const region = STACK_FILE.exec(path)?.[1];
      if (!region) continue;
      const before = pools(parent === '' ? undefined : await show(dir, parent, path));
      const after = pools(await show(dir, commit, path));
      if (!before || !after) continue;
      for (const service of new Set([...Object.keys(before), ...Object.keys(after)])) {
        for (const key of ['weight', 'nodes', 'excluded'] as const) {
          if (!same(before[service]?.[key], after[service]?.[key])) {
            changes.push({ commit, author: `${name} <${email}>`, time: Number(at) * 1000, region, service, key });
          }
        }
      }
    }
  }
  return changes;
}
