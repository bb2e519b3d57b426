// Public face of stack files: the control loop's only way to read and edit
// stacks/Pulumi.<region>.yaml (contract §3).
export { applyPoolPatches } from './apply-patches.js';
export { readPools } from './read-pools.js';
export { StackCache } from './stack-cache.js';
export { StackFileError, parseStack, type ParsedStack } from './stack-file.js';
