// The ways talking to the GitOps remote fails, as classes with stable codes,
// and the one place that reads them (`remoteFailure`). A failed git command is
// a GitError (git.ts), which keeps the command it ran.
import { GitError } from './git.js';

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

/** A write that gave up because the branch kept moving under its pushes. */
export class RemoteMovedError extends Error {
  /** Stable code for callers and the API. */
  readonly code = 'XP_ERR_REMOTE_MOVED';
  constructor(readonly attempts: number) {
    super(`the remote kept moving; gave up after ${attempts} tries`);
    this.name = 'RemoteMovedError';
  }
}

/**
 * Which exchange with the remote an error comes from: `fetch` when the remote did not answer
 * (unreachable, empty, no such branch), `push` when it answered but took nothing (a refused push,
 * or a branch that kept moving); null for anything else, local git failures included.
 */
export function remoteFailure(error: unknown): 'fetch' | 'push' | null {
  if (error instanceof RemoteError) return 'fetch';
  if (error instanceof RemoteMovedError) return 'push';
  if (error instanceof GitError) return error.command === 'fetch' ? 'fetch' : error.command === 'push' ? 'push' : null;
  return null;
}
