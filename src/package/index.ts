// The package folder's public face: where the installed package lives, and its version.
export { findPackageRoot, packageRoot, packageVersion } from './root.js';
