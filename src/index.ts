// The package's public face for programs that use xplane as a library rather than as
// the `xplane` command: the CLI entry point and the declaration validator.
export { main } from './cli/index.js';
export { formatIssue, loadDeclarations, parseDeclarations } from './config/index.js';
export type { ConfigIssue, Declarations, LoadResult } from './config/index.js';
export { packageVersion } from './package/index.js';
