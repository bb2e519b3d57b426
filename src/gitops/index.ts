// Public face of gitops: the mirror of the GitOps repo, the sync loop and the
// change events it publishes.
export { GitopsSync, DECLARATION_PREFIXES, short, type SyncOutcome, type SyncDeps } from './sync.js';
export { GitMirror, RemoteError, normalizeRemote, type CommitInfo, type RemoteProblem } from './mirror.js';
export { git, GitError, readBlobs, type Blob, type GitRunOptions } from './git.js';
export { ConfigInForce } from './in-force.js';
export { findHumanChanges, type HumanChange, type OverrideScan } from './overrides.js';
export { GitWriter, parseIdentity, type Identity, type PlannedCommit, type WriteOutcome, type GitWriterOptions } from './writer.js';
export { diffDeclarations, eventsFor, describeChange, type ConfigChange, type ConfigEvent, type ConfigKind } from './diff.js';
