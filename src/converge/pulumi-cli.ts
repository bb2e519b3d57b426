// Finding a Pulumi CLI. The Automation API drives the real CLI; this looks
// for one in the places a user would put it and says how to get one when
// there is none.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { packageRoot } from '../package/index.js';

/** How to get a CLI, for the error when none is found. */
export const HOW_TO_GET_PULUMI = [
  'no Pulumi CLI found. Get one of:',
  '  - set PULUMI_CLI_PATH to a pulumi binary (or the folder holding bin/pulumi)',
  '  - put pulumi on PATH (Pulumi’s installer, or your package manager)',
  '  - npm install pulumi   (the npm package downloads the CLI; needs internet)',
  '  - scripts/build-pulumi-cli.sh   (builds it from Go modules; needs Go; cached in ~/.cache/xplane/pulumi/)',
].join('\n');

/** No CLI was found anywhere. */
export class PulumiCliMissing extends Error {
  /** Stable code for callers. */
  readonly code = 'XP_ERR_PULUMI_CLI';
  constructor() {
    super(HOW_TO_GET_PULUMI);
    this.name = 'PulumiCliMissing';
  }
}

function executable(path: string): string | undefined {
  return existsSync(path) ? path : undefined;
}

/**
 * The pulumi binary to use: PULUMI_CLI_PATH, then PATH, then the `pulumi`
 * npm package in the project, then a CLI built by scripts/build-pulumi-cli.sh.
 */
export async function findPulumiCli(root: string, env: Record<string, string | undefined> = process.env): Promise<string> {
  const configured = env.PULUMI_CLI_PATH;
  if (configured) {
    const found = executable(join(configured, 'bin', 'pulumi')) ?? executable(join(configured, 'pulumi')) ?? executable(configured);
    if (found && !found.endsWith('/')) return found;
    throw new Error(`PULUMI_CLI_PATH=${configured} holds no pulumi binary`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const found = executable(join(dir, 'pulumi'));
    if (found) return found;
  }
  const npm = executable(join(root, 'node_modules', '.bin', 'pulumi'));
  if (npm) return npm;
  const cache = join(env.XPLANE_CACHE ?? join(homedir(), '.cache', 'xplane'), 'pulumi');
  const versions = (await readdir(cache).catch(() => [] as string[])).sort(compareVersions).reverse();
  for (const v of versions) {
    const found = executable(join(cache, v, 'bin', 'pulumi'));
    if (found) return found;
  }
  throw new PulumiCliMissing();
}

/** Orders `v3.259.0`-style names by number. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((x) => Number.parseInt(x, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** This xplane install's bin/, which holds the dynamic-provider plugin shim. */
const XPLANE_BIN = join(packageRoot(), 'bin');

/**
 * PATH with the CLI's folder and xplane's bin/ (the `pulumi-resource-pulumi-nodejs`
 * shim the local target's dynamic providers need) in front; the GitOps repo's
 * own bin/ follows, in case it pins a shim of its own.
 */
export function pathWithCli(cli: string, root: string, path = process.env.PATH ?? ''): string {
  return [dirname(cli), XPLANE_BIN, join(root, 'bin'), path].filter((p) => p !== '').join(delimiter);
}
