// Which stacks to converge: every stacks/Pulumi.<stack>.yaml by default, or
// with --changed <rev> only those whose inputs changed since that revision.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../gitops/index.js';
import { readPools } from '../stacks/index.js';
import { loadDeclarations } from '../config/index.js';

const STACK_FILE = /^Pulumi\.([^.]+)\.yaml$/;

/** The stacks of a repo: one per stacks/Pulumi.<name>.yaml, sorted. */
export async function discoverStacks(root: string): Promise<string[]> {
  const names = await readdir(join(root, 'stacks')).catch(() => [] as string[]);
  return names
    .map((n) => STACK_FILE.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

/** What a stack reads besides its own file: the gtm files of its services. */
export interface StackInputs {
  stack: string;
  services: string[];
}

/**
 * The stacks affected by changed paths. A stack reads its own stack file,
 * platform-config/regions/<stack>.yaml and the gtm file of every service it
 * has a pool for or that names its region; the program and the project file
 * feed every stack.
 */
export function affectedStacks(changed: string[], stacks: StackInputs[], gtmRegions: Record<string, string[]>): string[] {
  const hits = new Set<string>();
  for (const path of changed) {
    if (path.startsWith('program/') || path === 'Pulumi.yaml' || path === 'package.json' || path === 'package-lock.json') {
      for (const s of stacks) hits.add(s.stack);
      continue;
    }
    const stackFile = /^stacks\/Pulumi\.([^.]+)\.yaml$/.exec(path)?.[1];
    if (stackFile) hits.add(stackFile);
    const region = /^platform-config\/regions\/([^/]+)\.yaml$/.exec(path)?.[1];
    if (region) hits.add(region);
    const service = /^platform-config\/gtm\/([^/]+)\.yaml$/.exec(path)?.[1];
    if (service) {
      for (const s of stacks) if (s.services.includes(service) || gtmRegions[service]?.includes(s.stack)) hits.add(s.stack);
    }
  }
  return stacks.map((s) => s.stack).filter((s) => hits.has(s));
}

/** The stacks whose inputs changed between `rev` and the working tree of `root`. */
export async function changedStacks(root: string, rev: string): Promise<string[]> {
  const all = await discoverStacks(root);
  const changed = (await git(root, ['diff', '--name-only', rev, '--'])).split('\n').filter((l) => l !== '');
  const untracked = (await git(root, ['ls-files', '--others', '--exclude-standard'])).split('\n').filter((l) => l !== '');
  const inputs: StackInputs[] = [];
  for (const stack of all) {
    const text = await readFile(join(root, 'stacks', `Pulumi.${stack}.yaml`), 'utf8');
    let services: string[] = [];
    try {
      services = Object.keys(readPools(text));
    } catch {
      // A broken stack file is that stack's own problem; converge reports it.
    }
    inputs.push({ stack, services });
  }
  const decl = await loadDeclarations(root);
  // Without valid declarations the gtm → region map is unknown: a gtm change then touches every stack.
  const gtmRegions: Record<string, string[]> = decl.ok
    ? Object.fromEntries(Object.values(decl.declarations.gtm).map((g) => [g.service, g.regions.map((r) => r.name)]))
    : new Proxy({}, { get: () => all });
  return affectedStacks([...changed, ...untracked], inputs, gtmRegions);
}
