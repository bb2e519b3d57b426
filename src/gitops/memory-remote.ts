// An in-memory GitRemote for unit tests of the code around Git (the writer,
// sync, the reconciler), as external-dns's provider/inmemory is for its
// controller. It keeps one branch and its commits as plain maps (remote and
// mirror in one: every commit is known locally), records every call, and can
// be told to fail the way a real remote does: a fetch that gets no answer
// (RemoteError), a push the remote refuses (a GitError from `git push`), or a
// push that loses a race with someone else's (rejected: the remote moved).
// Blob ids are git's own (sha1 of `blob <size>\0<bytes>`), so equal contents
// have equal ids, as callers that cache by blob id expect.
import { createHash } from 'node:crypto';
import { RemoteError } from './errors.js';
import { GitError, type Blob } from './git.js';
import type { Identity } from './identity.js';
import type { GitRemote, HistoryCommit, HistoryRange, PlannedCommit } from './remote.js';

/** The methods of a GitRemote. */
type RemoteMethod = Exclude<keyof GitRemote, 'remote' | 'branch'>;

/** One call made to a MemoryRemote, with its arguments. */
export type RemoteCall = { [M in RemoteMethod]: { method: M; args: Parameters<GitRemote[M]> } }[RemoteMethod];

/** A commit as the fake keeps it. */
export interface MemoryCommit {
  id: string;
  /** Its parent; null for the root commit. */
  parent: string | null;
  /** Every file of the commit's tree, by path. */
  files: ReadonlyMap<string, string>;
  author: Identity;
  /** Epoch ms, whole seconds as git keeps them. */
  time: number;
  message: string;
}

/** Options of a MemoryRemote. */
export interface MemoryRemoteOptions {
  /** The root commit's files (default: none). */
  files?: Record<string, string>;
  /** Default `memory://gitops`. */
  remote?: string;
  /** Default `main`. */
  branch?: string;
  /** Clock for commit times (default Date.now). */
  now?: () => number;
}

/** The author of the seed commit and of `pushAs` commits unless told otherwise. */
export const HUMAN: Identity = { name: 'Test Human', email: 'human@example.invalid' };

/** The git id of a blob with `text`. */
export function blobId(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A GitRemote in memory; see the file comment. */
export class MemoryRemote implements GitRemote {
  readonly remote: string;
  readonly branch: string;
  /** Every call so far, oldest first. Clear it with `calls.length = 0`. */
  readonly calls: RemoteCall[] = [];
  private readonly commits = new Map<string, MemoryCommit>();
  private tip: string;
  private unpushed: string | null = null;
  private readonly now: () => number;
  private fetchFailures = 0;
  private readonly refusals: string[] = [];
  private readonly races: { files: Record<string, string | null>; message: string; author: Identity }[] = [];

  constructor(options: MemoryRemoteOptions = {}) {
    this.remote = options.remote ?? 'memory://gitops';
    this.branch = options.branch ?? 'main';
    this.now = options.now ?? Date.now;
    this.tip = this.store(null, new Map(Object.entries(options.files ?? {})), HUMAN, 'seed');
  }

  // ---- what a test sees and does -------------------------------------------------

  /** The commit the remote's branch points at. */
  get head(): string {
    return this.tip;
  }

  /** The commit kept by `keepLocal`, if any. */
  get unpushedCommit(): string | null {
    return this.unpushed;
  }

  /** A commit by id (undefined when unknown). */
  commitOf(id: string): MemoryCommit | undefined {
    return this.commits.get(id);
  }

  /** The text of a file at the branch head. */
  file(path: string): string | undefined {
    return this.commits.get(this.tip)?.files.get(path);
  }

  /** Someone else commits `files` (null deletes) on the branch and pushes; returns the commit. */
  pushAs(files: Record<string, string | null>, message: string, author: Identity = HUMAN): string {
    this.tip = this.store(this.tip, this.withFiles(this.tip, files), author, message);
    return this.tip;
  }

  /** The next `times` fetches get no answer (a RemoteError, as from an unreachable remote). */
  failFetches(times = 1): void {
    this.fetchFailures += times;
  }

  /** Drops every fault still pending: fetches answer, pushes are taken, no race. */
  heal(): void {
    this.fetchFailures = 0;
    this.refusals.length = 0;
    this.races.length = 0;
  }

  /** The next `times` pushes are refused by the remote with `reason` (a GitError, as from a declining hook). */
  refusePushes(times = 1, reason = 'pushes are closed'): void {
    for (let i = 0; i < times; i += 1) this.refusals.push(reason);
  }

  /** Right before the next push, someone else pushes `files`: that push is rejected because the remote moved. */
  raceNextPush(files: Record<string, string | null>, message: string, author: Identity = HUMAN): void {
    this.races.push({ files, message, author });
  }

  // ---- GitRemote ---------------------------------------------------------------------

  /** Returns the branch head; fails while told to. */
  fetch(): Promise<string> {
    this.calls.push({ method: 'fetch', args: [] });
    if (this.fetchFailures > 0) {
      this.fetchFailures -= 1;
      return Promise.reject(new RemoteError('unreachable', `cannot fetch ${this.remote}: fatal: unable to access '${this.remote}': Could not resolve host`));
    }
    return Promise.resolve(this.tip);
  }

  /** The files under `prefixes` at `commit`, in path order, with git blob ids. */
  readFiles(commit: string, prefixes: string[]): Promise<Blob[]> {
    this.calls.push({ method: 'readFiles', args: [commit, [...prefixes]] });
    const found = this.commits.get(commit);
    if (!found)
      return Promise.reject(new GitError(['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...prefixes], 128, `fatal: not a tree object: ${commit}`));
    const blobs: Blob[] = [];
    for (const path of [...found.files.keys()].sort()) {
      if (!under(path, prefixes)) continue;
      const text = found.files.get(path) ?? '';
      blobs.push({ path, text, oid: blobId(text) });
    }
    return Promise.resolve(blobs);
  }

  /** The text of `path` at `commit`; undefined when either is unknown. */
  readFile(commit: string, path: string): Promise<string | undefined> {
    this.calls.push({ method: 'readFile', args: [commit, path] });
    return Promise.resolve(this.commits.get(commit)?.files.get(path));
  }

  /** Stores a commit of `planned` on top of `head`; the branch does not move. */
  commit(head: string, planned: PlannedCommit, author: Identity): Promise<string> {
    this.calls.push({ method: 'commit', args: [head, { files: { ...planned.files }, message: planned.message }, { ...author }] });
    if (!this.commits.has(head)) return Promise.reject(new GitError(['read-tree', head], 128, `fatal: not a tree object: ${head}`));
    return Promise.resolve(this.store(head, this.withFiles(head, planned.files), author, planned.message));
  }

  /** Moves the branch to `commit` when it is a fast-forward; false when the branch moved; a GitError when refused. */
  push(commit: string): Promise<boolean> {
    this.calls.push({ method: 'push', args: [commit] });
    const args = ['push', '--quiet', 'origin', `${commit}:refs/heads/${this.branch}`];
    const refusal = this.refusals.shift();
    if (refusal !== undefined) {
      const stderr = `remote: ${refusal}\nTo ${this.remote}\n ! [remote rejected] ${commit.slice(0, 7)} -> ${this.branch} (pre-receive hook declined)\nerror: failed to push some refs to '${this.remote}'\n`;
      return Promise.reject(new GitError(args, 1, stderr));
    }
    const race = this.races.shift();
    if (race) this.pushAs(race.files, race.message, race.author);
    if (!this.commits.has(commit)) return Promise.reject(new GitError(args, 1, `error: src refspec ${commit} does not match any`));
    if (!this.reaches(commit, this.tip)) return Promise.resolve(false);
    this.tip = commit;
    return Promise.resolve(true);
  }

  /** Remembers `commit` as the unpushed one. */
  keepLocal(commit: string): Promise<void> {
    this.calls.push({ method: 'keepLocal', args: [commit] });
    this.unpushed = commit;
    return Promise.resolve();
  }

  /** Whether `ancestor` is `commit` or one of its ancestors; undefined when either is unknown. */
  isAncestor(ancestor: string, commit: string): Promise<boolean | undefined> {
    this.calls.push({ method: 'isAncestor', args: [ancestor, commit] });
    if (!this.commits.has(ancestor) || !this.commits.has(commit)) return Promise.resolve(undefined);
    return Promise.resolve(this.reaches(commit, ancestor));
  }

  /** The range's commits that change a path under its paths, oldest first. */
  history(range: HistoryRange): Promise<HistoryCommit[]> {
    this.calls.push({ method: 'history', args: [{ ...range, paths: [...range.paths] }] });
    for (const rev of [range.to, range.from ?? range.to]) {
      if (!this.commits.has(rev)) return Promise.reject(new GitError(['log', rev], 128, `fatal: bad revision '${rev}'`));
    }
    const out: HistoryCommit[] = [];
    for (let at: MemoryCommit | undefined = this.commits.get(range.to); at; at = at.parent === null ? undefined : this.commits.get(at.parent)) {
      if (range.from !== null && this.reaches(range.from, at.id)) break;
      if (range.from === null && at.time < range.since) continue;
      const paths = this.changed(at).filter((p) => under(p, range.paths));
      if (paths.length > 0) out.push({ commit: at.id, parent: at.parent, authorName: at.author.name, authorEmail: at.author.email, time: at.time, paths });
    }
    return Promise.resolve(out.reverse());
  }

  /** A unified diff of the files under `paths` that differ between two commits (whole-file hunks). */
  diff(from: string, to: string, paths: string[]): Promise<string> {
    this.calls.push({ method: 'diff', args: [from, to, [...paths]] });
    const a = this.commits.get(from)?.files ?? new Map<string, string>();
    const b = this.commits.get(to)?.files ?? new Map<string, string>();
    const changed = [...new Set([...a.keys(), ...b.keys()])].filter((p) => under(p, paths) && a.get(p) !== b.get(p)).sort();
    return Promise.resolve(changed.map((p) => fileDiff(p, a.get(p), b.get(p))).join(''));
  }

  // ---- inside ------------------------------------------------------------------------

  private store(parent: string | null, files: ReadonlyMap<string, string>, author: Identity, message: string): string {
    // Git keeps commit times in whole seconds.
    const time = Math.floor(this.now() / 1000) * 1000;
    const hash = createHash('sha1').update(`${parent ?? ''}\0${author.name} <${author.email}>\0${time}\0${message}\0${this.commits.size}\0`);
    for (const [path, text] of [...files].sort(([x], [y]) => (x < y ? -1 : 1))) hash.update(`${path}\0${blobId(text)}\0`);
    const id = hash.digest('hex');
    this.commits.set(id, { id, parent, files, author: { ...author }, time, message });
    return id;
  }

  private withFiles(base: string, files: Record<string, string | null>): Map<string, string> {
    const out = new Map(this.commits.get(base)?.files ?? []);
    for (const [path, text] of Object.entries(files)) {
      if (text === null) out.delete(path);
      else out.set(path, text);
    }
    return out;
  }

  /** Whether `ancestor` is reached from `commit` by parents (or is it). */
  private reaches(commit: string, ancestor: string): boolean {
    for (let at: string | null = commit; at !== null; at = this.commits.get(at)?.parent ?? null) if (at === ancestor) return true;
    return false;
  }

  /** The paths a commit changes against its parent (every path of a root commit), sorted. */
  private changed(c: MemoryCommit): string[] {
    const before = c.parent === null ? new Map<string, string>() : (this.commits.get(c.parent)?.files ?? new Map<string, string>());
    return [...new Set([...before.keys(), ...c.files.keys()])].filter((p) => before.get(p) !== c.files.get(p)).sort();
  }
}

/** Whether `path` is one of `prefixes` or under one of them, as git pathspecs match. */
function under(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** One file's diff in git's unified format, as one hunk over the whole file. */
function fileDiff(path: string, before: string | undefined, after: string | undefined): string {
  const a = lines(before);
  const b = lines(after);
  const head = `diff --git a/${path} b/${path}\n--- ${before === undefined ? '/dev/null' : `a/${path}`}\n+++ ${after === undefined ? '/dev/null' : `b/${path}`}\n`;
  return `${head}@@ -${a.length === 0 ? 0 : 1},${a.length} +${b.length === 0 ? 0 : 1},${b.length} @@\n${lineDiff(a, b).join('')}`;
}

function lines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** ` `, `-` and `+` lines from a longest common subsequence (stack files are short). */
function lineDiff(a: string[], b: string[]): string[] {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const row = lcs[i] as number[];
      row[j] = a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i] ?? ''}\n`);
      i += 1;
      j += 1;
    } else if (i < a.length && (j === b.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      out.push(`-${a[i] ?? ''}\n`);
      i += 1;
    } else {
      out.push(`+${b[j] ?? ''}\n`);
      j += 1;
    }
  }
  return out;
}
