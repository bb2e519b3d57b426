// The git writer: the only code that writes the GitOps repo. It fetches the
// head, lets the caller plan on it, commits the plan on top and pushes it as a
// fast-forward; when the remote moved, it backs off, fetches and lets the
// caller plan again on the new head. It never force-pushes and never merges.
// It works through a GitRemote (remote.ts): the real mirror, or a fake in tests.
import { failpoint } from '../failpoints.js';
import type { Logger } from '../log/index.js';
import { backoffDelay } from '../loop/index.js';
import type { Identity } from './identity.js';
import type { GitRemote, PlannedCommit } from './remote.js';

/** How a write ended. */
export type WriteOutcome =
  | { status: 'nothing'; head: string }
  | { status: 'pushed'; head: string; commit: string; attempts: number }
  | { status: 'unpushed'; head: string; commit: string }
  | { status: 'gave-up'; head: string; attempts: number };

/** Dependencies and tuning of the writer. */
export interface GitWriterOptions {
  /** The remote it writes (the local mirror in production). */
  mirror: GitRemote;
  author: Identity;
  /** Push commits (false: keep them local under refs/xplane/unpushed). */
  push: boolean;
  log: Logger;
  /** Tries when the remote keeps moving (default 5). */
  maxAttempts?: number;
  /** Base backoff between tries in ms (default 200; doubles each try, 0.5–1.5× jitter). */
  backoffMs?: number;
  /** Throws unless this replica may still write (the leader lease); checked right before each push. */
  fence?: () => Promise<void>;
}

/** Writes commits to the GitOps repo; see the file comment. */
export class GitWriter {
  constructor(private readonly opts: GitWriterOptions) {}

  /** The remote it writes. */
  get remote(): GitRemote {
    return this.opts.mirror;
  }

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
    const { mirror } = this.opts;
    let head = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      head = await this.fetchHead();
      const planned = await plan(head);
      if (!planned) return { status: 'nothing', head };
      const commit = await this.commit(head, planned);
      if (!this.opts.push) {
        await mirror.keepLocal(commit);
        return { status: 'unpushed', head, commit };
      }
      await failpoint('writer.before-push', this.opts.log, planned.message.replaceAll('\n', ' | '));
      // The first fence: a replica that lost the lead pushes nothing. The fast-forward-only push is the second.
      await this.opts.fence?.();
      if (await this.push(commit)) {
        await failpoint('writer.after-push', this.opts.log, planned.message.replaceAll('\n', ' | '));
        return { status: 'pushed', head, commit, attempts: attempt };
      }
      const wait = backoffDelay(attempt - 1, { initialMs: this.opts.backoffMs ?? 200, maxMs: Number.POSITIVE_INFINITY, jitter: { min: 0.5, max: 1.5 } });
      this.opts.log.warn({ attempt, head, retryInMs: wait }, 'git writer: the remote moved; recomputing on the new head');
      await new Promise((r) => setTimeout(r, wait));
    }
    return { status: 'gave-up', head, attempts };
  }

  /** Creates a commit by the writer's author with `planned.files` on top of `head` (no ref moves). */
  commit(head: string, planned: PlannedCommit): Promise<string> {
    return this.opts.mirror.commit(head, planned, this.opts.author);
  }

  /** Pushes `commit` to the branch as a fast-forward; false when rejected because the remote moved. */
  push(commit: string): Promise<boolean> {
    return this.opts.mirror.push(commit);
  }

  /** The unified diff between two commits under `paths`. */
  diff(from: string, to: string, paths: string[] = ['stacks']): Promise<string> {
    return this.opts.mirror.diff(from, to, paths);
  }
}
