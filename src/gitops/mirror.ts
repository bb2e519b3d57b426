// The local clone xplane works from. Sync fetches into it and reads files
// from its object database by commit, so reading never depends on a
// checkout's state.
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { git, GitError, readBlobs, type Blob } from './git.js';

/** Why a fetch failed, for messages and backoff. */
export type RemoteProblem = 'unreachable' | 'empty' | 'no-branch';

/** A fetch that failed for a reason a user can act on. */
export class RemoteError extends Error {
  /** Stable code for callers and the API. */
  readonly code = 'XP_ERR_REMOTE';
  constructor(
    readonly problem: RemoteProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Author and subject of a commit. */
export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  /** Epoch milliseconds. */
  time: number;
  subject: string;
}

/** Turns a local path into an absolute one so git can use it from the work dir; URLs pass through. */
export function normalizeRemote(remote: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/]+:/.test(remote)) return remote;
  return isAbsolute(remote) ? remote : resolve(cwd, remote);
}

/** The local clone of the GitOps repo. */
export class GitMirror {
  readonly remote: string;

  constructor(
    remote: string,
    readonly branch: string,
    readonly dir: string,
  ) {
    this.remote = normalizeRemote(remote);
  }

  /** The remote-tracking ref the mirror fetches into. */
  get trackingRef(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  /** Creates the clone if needed and points `origin` at the configured remote. */
  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (!existsSync(resolve(this.dir, '.git'))) {
      await git(this.dir, ['init', '--quiet', `--initial-branch=${this.branch}`]);
    }
    // Every fetch passes here: .git/config is rewritten only when the URL changed, so a poll
    // writes nothing but what it fetched (and a full disk shows up as the fetch's own error).
    const url = await git(this.dir, ['config', '--get', 'remote.origin.url']).then((out) => out.trim(), () => undefined);
    if (url === undefined) await git(this.dir, ['remote', 'add', 'origin', this.remote]);
    else if (url !== this.remote) await git(this.dir, ['remote', 'set-url', 'origin', this.remote]);
  }

  /** Fetches the branch (following force-pushes) and returns the commit it points at. */
  async fetch(): Promise<string> {
    await this.ensure();
    try {
      await git(this.dir, ['fetch', '--quiet', '--prune', '--no-tags', 'origin', `+refs/heads/${this.branch}:${this.trackingRef}`], {
        timeoutMs: 120_000,
      });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      if (/couldn't find remote ref/i.test(err.stderr)) throw await this.missingBranch();
      throw new RemoteError('unreachable', `cannot fetch ${this.remote}: ${err.message.replace(/^git .*? failed \(exit \d+\): /, '')}`);
    }
    return (await git(this.dir, ['rev-parse', this.trackingRef])).trim();
  }

  private async missingBranch(): Promise<RemoteError> {
    const heads = (await git(this.dir, ['ls-remote', '--heads', 'origin']).catch(() => ''))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^.*\trefs\/heads\//, ''));
    if (heads.length === 0) {
      return new RemoteError('empty', `remote ${this.remote} is empty: push a GitOps repo to branch ${this.branch} first`);
    }
    return new RemoteError('no-branch', `remote ${this.remote} has no branch ${this.branch} (it has: ${heads.join(', ')})`);
  }

  /** True when `ancestor` is an ancestor of (or equal to) `commit`; undefined when either is unknown here. */
  async isAncestor(ancestor: string, commit: string): Promise<boolean | undefined> {
    try {
      await git(this.dir, ['merge-base', '--is-ancestor', ancestor, commit]);
      return true;
    } catch (err) {
      if (err instanceof GitError && err.exitCode === 1) return false;
      return undefined;
    }
  }

  /** Reads the files under `prefixes` at `commit`. */
  readFiles(commit: string, prefixes: string[]): Promise<Blob[]> {
    return readBlobs(this.dir, commit, prefixes);
  }

  /** Author, time and subject of a commit. */
  async commitInfo(commit: string): Promise<CommitInfo> {
    const out = await git(this.dir, ['show', '-s', '--format=%H%x00%an%x00%ae%x00%at%x00%s', commit]);
    const [sha = commit, authorName = '', authorEmail = '', at = '0', subject = ''] = out.trim().split('\0');
    return { sha, authorName, authorEmail, time: Number(at) * 1000, subject };
  }

  /** True once the mirror directory holds a clone. */
  async exists(): Promise<boolean> {
    return stat(resolve(this.dir, '.git')).then(
      () => true,
      () => false,
    );
  }
}
