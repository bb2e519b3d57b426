// Public face of gitops: the Git seam (GitRemote) with its real mirror and its
// in-memory fake, the sync loop and the change events it publishes, the writer.
export { GitopsSync, DECLARATION_PREFIXES, short, type SyncOutcome, type SyncDeps } from './sync.js';
export type { GitRemote, PlannedCommit, HistoryRange, HistoryCommit } from './remote.js';
export { GitMirror, normalizeRemote, type CommitInfo } from './mirror.js';
export { MemoryRemote, HUMAN, blobId, type MemoryCommit, type MemoryRemoteOptions, type RemoteCall } from './memory-remote.js';
export { RemoteError, RemoteMovedError, remoteFailure, type RemoteProblem } from './errors.js';
export { git, GitError, readBlobs, type Blob, type GitRunOptions } from './git.js';
export { ConfigInForce } from './in-force.js';
export { findHumanChanges, ownedKeyChanges, type HumanChange, type OverrideScan } from './overrides.js';
export { parseIdentity, type Identity } from './identity.js';
export { readCommitSigning, type CommitSigning } from './signing.js';
export { GitWriter, type WriteOutcome, type GitWriterOptions } from './writer.js';
export { diffDeclarations, eventsFor, describeChange, type ConfigChange, type ConfigEvent, type ConfigKind } from './diff.js';
export { configView, type ConfigView } from './config-view.js';
