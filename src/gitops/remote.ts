// The Git seam: everything sync, the writer and the reconciler ask of the
// GitOps repo's remote, as one small interface. GitMirror (mirror.ts) is the
// real one, a local clone driven through the git CLI; MemoryRemote
// (memory-remote.ts) is the in-memory fake beside it for unit tests, like
// external-dns's provider/inmemory. Failures keep their classes: RemoteError
// when the remote did not answer a fetch, GitError for a git command that
// failed (a refused push among them); `remoteFailure` reads them.
import type { Blob } from './git.js';
import type { Identity } from './identity.js';

/** What the caller wants committed on top of a head, or null for nothing. */
export interface PlannedCommit {
  /** Full new contents by repo path; files not listed stay as they are. */
  files: Record<string, string>;
  message: string;
}

/** A range of history: the commits reachable from `to` and not from `from`. */
export interface HistoryRange {
  /** The last commit already seen, or null to take every commit since `since`. */
  from: string | null;
  to: string;
  /** With `from` null: only commits newer than this (epoch ms). */
  since: number;
  /** Only commits that change something under these paths. */
  paths: string[];
}

/** One non-merge commit of a range, with the files it changed under the range's paths. */
export interface HistoryCommit {
  commit: string;
  /** Its first parent; null for a root commit. */
  parent: string | null;
  authorName: string;
  authorEmail: string;
  /** Commit time, epoch ms. */
  time: number;
  /** Paths changed against the first parent (every path, for a root commit). */
  paths: string[];
}

/** The GitOps repo's remote as xplane uses it: read the branch, build commits, push them fast-forward. */
export interface GitRemote {
  /** Where the remote is (a URL or path), for messages. */
  readonly remote: string;
  /** The branch xplane reads and writes. */
  readonly branch: string;

  /** Fetches the branch and returns the commit it points at; RemoteError when the remote does not answer. */
  fetch(): Promise<string>;
  /** The files under `prefixes` at `commit`, in path order. */
  readFiles(commit: string, prefixes: string[]): Promise<Blob[]>;
  /** The text of one file at `commit`; undefined when the file or the commit is not there. */
  readFile(commit: string, path: string): Promise<string | undefined>;
  /** Makes a commit of `planned` on top of `head` by `author`, without moving any branch; returns its id. */
  commit(head: string, planned: PlannedCommit, author: Identity): Promise<string>;
  /**
   * Pushes `commit` to the branch as a fast-forward, never forced. False when the branch moved
   * since the commit's parent (fetch and plan again); a GitError for any other refusal.
   */
  push(commit: string): Promise<boolean>;
  /** Keeps a commit that is not pushed where a person can find it (refs/xplane/unpushed). */
  keepLocal(commit: string): Promise<void>;

  /** True when `ancestor` is an ancestor of (or equal to) `commit`; undefined when either is unknown. */
  isAncestor(ancestor: string, commit: string): Promise<boolean | undefined>;
  /** The non-merge commits of a range that touch its paths, oldest first. */
  history(range: HistoryRange): Promise<HistoryCommit[]>;
  /** The unified diff between two commits under `paths`. */
  diff(from: string, to: string, paths: string[]): Promise<string>;
}
