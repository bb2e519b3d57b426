// A thin wrapper over the real `git` CLI. xplane shells out to git rather
// than re-implementing it, so every remote git supports (paths, file://,
// ssh, https with credential helpers) works the same as for a person.
import { execFile, spawn } from 'node:child_process';

/** A git command that failed, with what git printed. */
export class GitError extends Error {
  /** Stable code for callers and the API. */
  readonly code = 'XP_ERR_GIT';
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${firstLines(stderr)}`);
    this.name = 'GitError';
  }

  /** The git command that failed (`push`, `fetch`, `commit-tree`…). */
  get command(): string {
    return this.args[0] ?? '';
  }
}

function firstLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'));
  return lines.slice(0, 3).join(' / ') || 'no output';
}

/** Options for one git invocation. */
export interface GitRunOptions {
  /** Text for git's stdin. */
  input?: string;
  /** Kill git after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Extra environment, e.g. author identity. */
  env?: Record<string, string>;
}

// Never let git stop to ask a person for a password or host key: a daemon has
// no one to answer, and a hung fetch would stall every pass.
const BASE_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: 'true',
  GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
  LC_ALL: 'C',
};

/** Runs git in `cwd` and returns its stdout; throws GitError on a non-zero exit. */
export function git(cwd: string, args: string[], options: GitRunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd,
        env: { ...process.env, ...BASE_ENV, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          // A signal from outside (the OOM killer; SIGXFSZ at a file-size limit) is often all there is to say.
          const signal = !err.killed && err.signal ? `killed by ${err.signal}\n` : '';
          const why = err.killed ? `timed out after ${options.timeoutMs ?? 60_000} ms\n${stderr}` : `${signal}${stderr}` || err.message;
          reject(new GitError(args, code, why));
          return;
        }
        resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** One blob read by `readBlobs`. */
export interface Blob {
  path: string;
  text: string;
  /** The blob's object id: equal ids mean equal contents, so callers can cache what they derive from the text. */
  oid: string;
}

/**
 * Reads the files under `prefixes` at `commit` straight from the object
 * database (no checkout), with one `ls-tree` and one `cat-file --batch`.
 */
export async function readBlobs(cwd: string, commit: string, prefixes: string[]): Promise<Blob[]> {
  const listing = await git(cwd, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...prefixes]);
  const entries = listing
    .split('\0')
    .filter((l) => l !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [, type, oid] = line.slice(0, tab).split(' ');
      return { type, oid: oid ?? '', path: line.slice(tab + 1) };
    })
    .filter((e) => e.type === 'blob');
  if (entries.length === 0) return [];
  const out = await catFileBatch(
    cwd,
    entries.map((e) => e.oid),
  );
  return entries.map((e, i) => ({ path: e.path, text: out[i] ?? '', oid: e.oid }));
}

function catFileBatch(cwd: string, oids: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, env: { ...process.env, ...BASE_ENV } });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new GitError(['cat-file', '--batch'], code, stderr));
        return;
      }
      const buf = Buffer.concat(chunks);
      const texts: string[] = [];
      let at = 0;
      while (at < buf.length) {
        const nl = buf.indexOf(0x0a, at);
        const header = buf.subarray(at, nl).toString();
        const size = Number(header.split(' ')[2]);
        if (!Number.isFinite(size)) {
          reject(new GitError(['cat-file', '--batch'], code, `unexpected output: ${header}`));
          return;
        }
        texts.push(buf.subarray(nl + 1, nl + 1 + size).toString('utf8'));
        at = nl + 1 + size + 1;
      }
      resolve(texts);
    });
    child.stdin.end(oids.join('\n') + '\n');
  });
}
