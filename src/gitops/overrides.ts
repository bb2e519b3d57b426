// Human overrides (contract §4): a commit not made by the loop that changes a
// pool key the loop owns — a `git revert`, a hand edit — wins over the loop
// for a while. This finds such changes in a range of history.
import type { PoolKey } from '../decision/index.js';
import { readPools } from '../stacks/index.js';
import type { Pool } from '../config/index.js';
import type { GitRemote } from './remote.js';

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
const OWNED_KEYS = ['weight', 'nodes', 'excluded'] as const;

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

/**
 * The owned keys (service, key) that differ between two texts of a stack file; an absent text has
 * no pools, and a text that cannot be read compares as nothing changed.
 */
export function ownedKeyChanges(before: string | undefined, after: string | undefined): { service: string; key: PoolKey }[] {
  const a = pools(before);
  const b = pools(after);
  if (!a || !b) return [];
  const out: { service: string; key: PoolKey }[] = [];
  for (const service of new Set([...Object.keys(a), ...Object.keys(b)])) {
    for (const key of OWNED_KEYS) if (!same(a[service]?.[key], b[service]?.[key])) out.push({ service, key });
  }
  return out;
}

/** Lists owned pool keys changed by non-loop commits in the scanned range, oldest first. */
export async function findHumanChanges(remote: Pick<GitRemote, 'history' | 'readFile'>, scan: OverrideScan): Promise<HumanChange[]> {
  const commits = await remote.history({ from: scan.from, to: scan.to, since: scan.since, paths: ['stacks'] });
  const changes: HumanChange[] = [];
  for (const c of commits) {
    if (c.authorEmail.toLowerCase() === scan.botEmail.toLowerCase()) continue;
    for (const path of c.paths) {
      const region = STACK_FILE.exec(path)?.[1];
      if (!region) continue;
      const before = c.parent === null ? undefined : await remote.readFile(c.parent, path);
      const after = await remote.readFile(c.commit, path);
      for (const { service, key } of ownedKeyChanges(before, after)) {
        changes.push({ commit: c.commit, author: `${c.authorName} <${c.authorEmail}>`, time: c.time, region, service, key });
      }
    }
  }
  return changes;
}
