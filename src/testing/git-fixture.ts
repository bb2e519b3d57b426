// Real git repositories for tests: a bare "remote" in a temp dir, seeded with
// this repo's own GitOps files, and a working clone to push changes from.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Test Human',
  GIT_AUTHOR_EMAIL: 'human@example.invalid',
  GIT_COMMITTER_NAME: 'Test Human',
  GIT_COMMITTER_EMAIL: 'human@example.invalid',
};

/** Runs git synchronously in `cwd` as the test's human and returns trimmed stdout. */
export function gitSync(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A bare remote plus a working clone that pushes to it. */
export interface GitFixture {
  root: string;
  bare: string;
  work: string;
  /** Writes files (null deletes), commits them and pushes (force-pushes with `force`); returns the new commit. */
  commit(files: Record<string, string | null>, message: string, options?: { force?: boolean }): string;
  /** Reads a file of the working clone. */
  read(path: string): string;
  /** Removes every temp directory. */
  cleanup(): void;
}

/** Creates a temp dir that the caller removes. */
export function tempDir(prefix = 'xplane-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Creates a bare remote on branch main seeded with platform-config/ and stacks/ of this repo (unless `empty`). */
export function makeGitFixture(options: { empty?: boolean } = {}): GitFixture {
  const root = tempDir();
  const bare = join(root, 'remote.git');
  const work = join(root, 'work');
  gitSync(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  gitSync(root, 'init', '--quiet', '--initial-branch=main', work);
  gitSync(work, 'remote', 'add', 'origin', bare);
  const fixture: GitFixture = {
    root,
    bare,
    work,
    commit(files, message, options = {}) {
      for (const [path, text] of Object.entries(files)) {
        const full = join(work, path);
        if (text === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, text);
        }
      }
      gitSync(work, 'add', '-A');
      gitSync(work, 'commit', '--quiet', '--allow-empty', '-m', message);
      gitSync(work, 'push', '--quiet', ...(options.force ? ['--force'] : []), 'origin', 'HEAD:refs/heads/main');
      return gitSync(work, 'rev-parse', 'HEAD');
    },
    read(path) {
      return readFileSync(join(work, path), 'utf8');
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (!options.empty) {
    for (const dir of ['platform-config', 'stacks', 'Pulumi.yaml']) cpSync(join(REPO_ROOT, dir), join(work, dir), { recursive: true });
    fixture.commit({}, 'seed: the example GitOps repo');
  }
  return fixture;
}
