// Where `xplane simulate` reads a configuration: a directory (a GitOps repo
// checkout) or a Git revision of the repository it runs in, as a pull
// request's base (`origin/main`) is. Either way the declarations are parsed
// and checked as `xplane validate` does; an invalid one fails with every
// problem, each as file:line:col.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatIssue, loadDeclarations, parseDeclarations, type Declarations, type LoadResult } from '../config/index.js';
import { GitError, git, readBlobs } from '../gitops/index.js';

/** A configuration to replay, with how to name it. */
export interface ConfigSource {
  /** As given, with the short commit of a revision: `origin/main (1a2b3c4)`. */
  label: string;
  declarations: Declarations;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads the configuration `spec` names: a directory, else a revision of the Git repository at `cwd`. */
export async function readConfig(spec: string, cwd: string, flag: string): Promise<ConfigSource> {
  const dir = resolve(cwd, spec);
  if (await isDirectory(dir)) return { label: spec, declarations: valid(await loadDeclarations(dir), `${flag} ${spec}`) };
  let commit: string;
  try {
    commit = (await git(cwd, ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`])).trim();
  } catch (err) {
    if (err instanceof GitError) throw new Error(`${flag} ${spec}: neither a directory nor a Git revision of the repository at ${cwd}`, { cause: err });
    throw err;
  }
  const files = await readBlobs(cwd, commit, ['platform-config', 'stacks']);
  return { label: `${spec} (${commit.slice(0, 7)})`, declarations: valid(parseDeclarations(files), `${flag} ${spec} (${commit.slice(0, 7)})`) };
}

function valid(result: LoadResult, what: string): Declarations {
  if (result.ok) return result.declarations;
  throw new Error(`${what}: the configuration is invalid:\n${result.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
}
