// Signing the loop's commits the way `git commit` would. `git commit-tree` is
// plumbing and ignores `commit.gpgSign` (git dropped that in 2.9), so the
// mirror reads the setting itself and passes `-S`; git then signs with
// `user.signingKey` in `gpg.format` (openpgp, ssh or x509) exactly as for a
// person, through gpg, ssh-keygen or gpgsm and their own configuration.
import { git, GitError } from './git.js';

/** What the git configuration says about signing commits. */
export interface CommitSigning {
  /** `commit.gpgSign`: sign every commit. */
  sign: boolean;
  /** `gpg.format` (git's default: openpgp). */
  format: string;
  /** `user.signingKey`, when set (else git picks the committer's identity for openpgp). */
  key: string | undefined;
}

/** A `git config --get` that answers undefined when the key is unset (exit 1). */
async function configValue(dir: string, key: string, type?: 'bool'): Promise<string | undefined> {
  try {
    return (await git(dir, ['config', ...(type ? [`--type=${type}`] : []), '--get', key])).trim();
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 1) return undefined;
    throw err;
  }
}

/** Reads the signing settings that apply in `dir` (system, global — `GIT_CONFIG_GLOBAL` too —, the repo's own, `GIT_CONFIG_*`). */
export async function readCommitSigning(dir: string): Promise<CommitSigning> {
  const sign = (await configValue(dir, 'commit.gpgsign', 'bool')) === 'true';
  if (!sign) return { sign, format: 'openpgp', key: undefined };
  const [format, key] = await Promise.all([configValue(dir, 'gpg.format'), configValue(dir, 'user.signingkey')]);
  return { sign, format: format ?? 'openpgp', key };
}

/** The `commit-tree` flags that sign as configured: `-S` lets git pick the key and the format, as `git commit` does. */
export function signingArgs(signing: CommitSigning): string[] {
  return signing.sign ? ['-S'] : [];
}

/** Says which setting asked for the signature, so a failed `gpg`/`ssh-keygen` points at the configuration to fix. */
export function signingFailure(err: GitError, signing: CommitSigning): GitError {
  const key = signing.key === undefined ? 'no user.signingkey (git tried the committer identity)' : `user.signingkey ${signing.key}`;
  return new GitError(err.args, err.exitCode, `cannot sign the commit (commit.gpgsign is true; gpg.format ${signing.format}; ${key}): ${err.stderr}`);
}
