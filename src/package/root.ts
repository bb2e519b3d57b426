// Where this xplane package lives on disk, and its version. The same code runs
// from the TypeScript sources (tests, through tsx) and from the compiled `dist/`
// of an installed package, so nothing counts `../` from a module's own folder:
// the root is the nearest folder above it whose package.json names xplane.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version?: string;
}

function readPackage(dir: string): PackageJson | undefined {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** The nearest folder at or above `from` whose package.json is xplane's; throws when there is none. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (readPackage(dir)?.name === 'xplane') return dir;
    if (dirname(dir) === dir) throw new Error(`no xplane package.json above ${from}`);
  }
}

let root: string | undefined;
let version: string | undefined;

/** This package's root folder: where package.json, bin/ and program/ are. */
export function packageRoot(): string {
  root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return root;
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  version ??= readPackage(packageRoot())?.version ?? '0.0.0';
  return version;
}
