// The local clone xplane works from: the real GitRemote (remote.ts). Sync
// fetches into it and reads files from its object database by commit, so
// reading never depends on a checkout's state. Commits are built with git's
// plumbing in the same object database (no working tree, so a failed write
// leaves nothing half-done) and pushed as fast-forwards, never forced.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { RemoteError } from './errors.js';
import { git, GitError, readBlobs, type Blob } from './git.js';
import type { Identity } from './identity.js';
import type { GitRemote, HistoryCommit, HistoryRange, PlannedCommit } from './remote.js';
import { readCommitSigning, signingArgs, signingFailure } from './signing.js';

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

/**
 * Git's answers when the branch moved under a push: `[rejected] (fetch first | non-fast-forward)`,
 * or the remote's ref lock finding another commit. Any other refusal — `[remote rejected]` for
 * a full disk (unpacker error) or a declining hook, a 401 — is an error to show, not a race to retry.
 */
const REMOTE_MOVED = /! \[rejected\]|non-fast-forward|fetch first|\(stale info\)|cannot lock ref .* but expected/i;

/** The local clone of the GitOps repo. */
export class GitMirror implements GitRemote {
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
    const url = await git(this.dir, ['config', '--get', 'remote.origin.url']).then(
      (out) => out.trim(),
      () => undefined,
    );
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

  /** The text of `path` at `commit` (`git show`); undefined when git cannot show it. */
  async readFile(commit: string, path: string): Promise<string | undefined> {
    try {
      return await git(this.dir, ['show', `${commit}:${path}`]);
    } catch (err) {
      if (err instanceof GitError) return undefined;
      throw err;
    }
  }

  /**
   * Creates a commit with `planned.files` on top of `head` (objects only; no
   * ref, no working tree), signed when the git configuration says
   * `commit.gpgsign` (signing.ts). Six git processes (eight when signing) whatever the number of files:
   * each spawn costs milliseconds, so the blobs are written by one
   * `hash-object --stdin-paths` and staged by one `update-index --index-info`.
   */
  async commit(head: string, planned: PlannedCommit, author: Identity): Promise<string> {
    const dir = this.dir;
    const scratch = await mkdtemp(join(tmpdir(), 'xplane-index-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      const entries = Object.entries(planned.files);
      // Scratch file names are ours (0, 1, …), so the newline-separated path list cannot be misread.
      const temps = entries.map((_, i) => join(scratch, `blob-${i}`));
      await Promise.all(entries.map(([, text], i) => writeFile(temps[i] ?? '', text, 'utf8')));
      const [, blobs] = await Promise.all([
        git(dir, ['read-tree', head], { env }),
        // --no-filters: the bytes are stored as given, as `hash-object --stdin` did (a scratch path must not pick up attributes).
        entries.length > 0 ? git(dir, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: temps.join('\n') + '\n' }) : Promise.resolve(''),
      ]);
      const oids = blobs.split('\n').filter((l) => l !== '');
      if (oids.length !== entries.length) throw new Error(`internal: git hash-object wrote ${oids.length} blobs for ${entries.length} files`);
      if (entries.length > 0) {
        // -z: NUL-terminated records, so any path is taken literally.
        const info = entries.map(([path], i) => `100644 ${oids[i] ?? ''}\t${path}\0`).join('');
        await git(dir, ['update-index', '-z', '--index-info'], { env, input: info });
      }
      // Read per commit, so a key installed or rotated while serve runs is used from the next commit on.
      const [tree, signing] = await Promise.all([git(dir, ['write-tree'], { env }).then((t) => t.trim()), readCommitSigning(dir)]);
      const { name, email } = author;
      try {
        return (
          await git(dir, ['commit-tree', ...signingArgs(signing), tree, '-p', head, '-F', '-'], {
            input: planned.message,
            env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email },
          })
        ).trim();
      } catch (err) {
        throw err instanceof GitError && signing.sign ? signingFailure(err, signing) : err;
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Pushes `commit` as a fast-forward and moves the tracking ref to it; false when the remote moved. */
  async push(commit: string): Promise<boolean> {
    try {
      await git(this.dir, ['push', '--quiet', 'origin', `${commit}:refs/heads/${this.branch}`], { timeoutMs: 120_000 });
    } catch (err) {
      if (err instanceof GitError && REMOTE_MOVED.test(err.stderr)) return false;
      throw err;
    }
    await git(this.dir, ['update-ref', this.trackingRef, commit]);
    return true;
  }

  /** Points refs/xplane/unpushed at `commit`. */
  async keepLocal(commit: string): Promise<void> {
    await git(this.dir, ['update-ref', 'refs/xplane/unpushed', commit]);
  }

  /**
   * The range's non-merge commits under its paths, oldest first, in one `git log`: each commit's
   * paths are its changes against its parent (`--root`: every path of a root commit), without
   * rename detection, as `git diff-tree -r` lists them.
   */
  async history(range: HistoryRange): Promise<HistoryCommit[]> {
    const span = range.from ? [`${range.from}..${range.to}`] : [range.to, `--since=@${Math.floor(range.since / 1000)}`];
    const log = await git(this.dir, [
      'log',
      '--no-merges',
      '--reverse',
      '--root',
      '--no-renames',
      '--name-only',
      '--format=%x01%H%x00%P%x00%ae%x00%an%x00%ct',
      ...span,
      '--',
      ...range.paths,
    ]);
    const out: HistoryCommit[] = [];
    for (const entry of log.split('\x01')) {
      if (entry === '') continue;
      const [header = '', ...paths] = entry.split('\n');
      const [commit = '', parents = '', authorEmail = '', authorName = '', at = '0'] = header.split('\0');
      const parent = parents.split(' ')[0] ?? '';
      out.push({ commit, parent: parent === '' ? null : parent, authorName, authorEmail, time: Number(at) * 1000, paths: paths.filter((p) => p !== '') });
    }
    return out;
  }

  /** `git diff from to -- paths`. */
  diff(from: string, to: string, paths: string[]): Promise<string> {
    return git(this.dir, ['diff', from, to, '--', ...paths]);
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
