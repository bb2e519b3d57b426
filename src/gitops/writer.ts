// The git writer: the only code that writes the GitOps repo. It builds each
// commit with git's plumbing in the mirror's object database (no working
// tree, so a failed write leaves nothing half-done), pushes it as a
// fast-forward, and when the remote moved, fetches and lets the caller
// recompute on the new head. It never force-pushes and never merges.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failpoint } from '../failpoints.js';
import type { Logger } from '../log/index.js';
import { git, GitError } from './git.js';
import type { GitMirror } from './mirror.js';

/** `Name <email>` split. */
export interface Identity {
  name: string;
  email: string;
}

/** Parses `Name <email>`. */
export function parseIdentity(text: string): Identity {
  const match = /^\s*(.+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!match) throw new Error(`author must look like "Name <email>", got "${text}"`);
  return { name: match[1] ?? '', email: match[2] ?? '' };
}

/** What the caller wants committed on top of a head, or null for nothing. */
export interface PlannedCommit {
  /** Full new contents by repo path; files not listed stay as they are. */
  files: Record<string, string>;
  message: string;
}

/** How a write ended. */
export type WriteOutcome =
  | { status: 'nothing'; head: string }
  | { status: 'pushed'; head: string; commit: string; attempts: number }
  | { status: 'unpushed'; head: string; commit: string }
  | { status: 'gave-up'; head: string; attempts: number };

/** Dependencies and tuning of the writer. */
export interface GitWriterOptions {
  mirror: GitMirror;
  author: Identity;
  /** Push commits (false: keep them local under refs/xplane/unpushed). */
  push: boolean;
  log: Logger;
  /** Tries when the remote keeps moving (default 5). */
  maxAttempts?: number;
  /** Base backoff between tries in ms (default 200; doubles each try). */
  backoffMs?: number;
  /** Throws unless this replica may still write (the leader lease); checked right before each push. */
  fence?: () => Promise<void>;
}

/**
 * Git's answers when the branch moved under a push: `[rejected] (fetch first | non-fast-forward)`,
 * or the remote's ref lock finding another commit. Any other refusal — `[remote rejected]` for
 * a full disk (unpacker error) or a declining hook, a 401 — is an error to show, not a race to retry.
 */
const REMOTE_MOVED = /! \[rejected\]|non-fast-forward|fetch first|\(stale info\)|cannot lock ref .* but expected/i;

/** Writes commits to the GitOps repo; see the file comment. */
export class GitWriter {
  constructor(private readonly opts: GitWriterOptions) {}

  /** Fetches the remote head. */
  fetchHead(): Promise<string> {
    return this.opts.mirror.fetch();
  }

  /**
   * Fetch → plan on the head → commit → push; when the push is rejected
   * because the remote moved, start again on the new head (bounded).
   */
  async write(plan: (head: string) => Promise<PlannedCommit | null>): Promise<WriteOutcome> {
    const attempts = this.opts.maxAttempts ?? 5;
    let head = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      head = await this.fetchHead();
      const planned = await plan(head);
      if (!planned) return { status: 'nothing', head };
      const commit = await this.commit(head, planned);
      if (!this.opts.push) {
        await git(this.opts.mirror.dir, ['update-ref', 'refs/xplane/unpushed', commit]);
        return { status: 'unpushed', head, commit };
      }
      await failpoint('writer.before-push', this.opts.log, planned.message.replaceAll('\n', ' | '));
      // The first fence: a replica that lost the lead pushes nothing. The fast-forward-only push is the second.
      await this.opts.fence?.();
      if (await this.push(commit)) {
        await failpoint('writer.after-push', this.opts.log, planned.message.replaceAll('\n', ' | '));
        await git(this.opts.mirror.dir, ['update-ref', this.opts.mirror.trackingRef, commit]);
        return { status: 'pushed', head, commit, attempts: attempt };
      }
      const wait = (this.opts.backoffMs ?? 200) * 2 ** (attempt - 1) * (0.5 + Math.random());
      this.opts.log.warn({ attempt, head, retryInMs: Math.round(wait) }, 'git writer: the remote moved; recomputing on the new head');
      await new Promise((r) => setTimeout(r, wait));
    }
    return { status: 'gave-up', head, attempts };
  }

  /**
   * Creates a commit with `planned.files` on top of `head` (objects only; no
   * ref, no working tree). Five git processes whatever the number of files:
   * each spawn costs milliseconds, so the blobs are written by one
   * `hash-object --stdin-paths` and staged by one `update-index --index-info`.
   */
  async commit(head: string, planned: PlannedCommit): Promise<string> {
    const dir = this.opts.mirror.dir;
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
      const tree = (await git(dir, ['write-tree'], { env })).trim();
      const { name, email } = this.opts.author;
      return (
        await git(dir, ['commit-tree', tree, '-p', head, '-F', '-'], {
          input: planned.message,
          env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email },
        })
      ).trim();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Pushes `commit` to the branch as a fast-forward; false when rejected because the remote moved. */
  async push(commit: string): Promise<boolean> {
    try {
      await git(this.opts.mirror.dir, ['push', '--quiet', 'origin', `${commit}:refs/heads/${this.opts.mirror.branch}`], { timeoutMs: 120_000 });
      return true;
    } catch (err) {
      if (err instanceof GitError && REMOTE_MOVED.test(err.stderr)) return false;
      throw err;
    }
  }

  /** The unified diff between two commits under `paths`. */
  diff(from: string, to: string, paths: string[] = ['stacks']): Promise<string> {
    return git(this.opts.mirror.dir, ['diff', from, to, '--', ...paths]);
  }
}
