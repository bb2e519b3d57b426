// The config folder's public face: other folders import only from here.
export type * from './types.js';
export { DNS_PROVIDERS } from './types.js';
export type { DeclarationKind, PathRole } from './declaration-paths.js';
export { DECLARATION_KINDS, isDeclarationPath, pathRole } from './declaration-paths.js';
export { formatDuration, parseDuration } from './duration.js';
export { formatIssue } from './format.js';
export { MAX_FILE_CHARS, parseYamlSource, type YamlSource } from './yaml-source.js';
export { loadDeclarations, parseDeclarations, readDeclarationFiles } from './load.js';
export { autoscalePolicySchema, gtmPolicySchema, regionDefSchema, stackConfigSchema, GLOBAL_STACK } from './schemas.js';
