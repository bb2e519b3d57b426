// Turns the files of a GitOps repo into validated declarations, or into every
// problem found in them: a human fixing a repo wants the whole list at once,
// not one error per CI run. Parsing is pure; only the two `*Files`/`load*`
// functions at the bottom touch the disk.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { applySchema } from './apply-schema.js';
import { isDeclarationPath, pathRole } from './declaration-paths.js';
import { ruleIssues, ruleWarnings, type ParsedFile, type ParsedRepo } from './rules.js';
import { autoscalePolicySchema, gtmPolicySchema, regionDefSchema, stackConfigSchema } from './schemas.js';
import type { ConfigIssue, Declarations, LoadResult, SourceFile } from './types.js';
import { parseYamlSource } from './yaml-source.js';

/** Validates a repo's declaration files (paths relative to the repo root); ignores files that are not declarations. */
export function parseDeclarations(files: SourceFile[]): LoadResult {
  const issues: ConfigIssue[] = [];
  const repo: ParsedRepo = { gtm: [], autoscale: [], regions: [], stacks: [] };
  const parse = <T>(file: SourceFile, name: string, schema: z.ZodType<T>): ParsedFile<T> => {
    const source = parseYamlSource(file);
    issues.push(...source.issues);
    if (source.issues.length > 0) return { name, source, value: undefined };
    const applied = applySchema(source, schema);
    issues.push(...applied.issues);
    return { name, source, value: applied.value };
  };

  for (const file of files) {
    const role = pathRole(file.path);
    if (role.role === 'misplaced') issues.push({ file: file.path, line: 1, col: 1, path: '', message: role.message });
    else if (role.role === 'stack') repo.stacks.push(parse(file, role.region, stackConfigSchema));
    else if (role.role === 'declaration' && role.kind === 'gtm') repo.gtm.push(parse(file, role.name, gtmPolicySchema));
    else if (role.role === 'declaration' && role.kind === 'autoscale') repo.autoscale.push(parse(file, role.name, autoscalePolicySchema));
    else if (role.role === 'declaration' && role.kind === 'regions') repo.regions.push(parse(file, role.name, regionDefSchema));
  }
  issues.push(...ruleIssues(repo));
  if (issues.length > 0) return { ok: false, issues: issues.sort(byPosition) };
  return { ok: true, declarations: collect(repo), warnings: ruleWarnings(repo).sort(byPosition) };
}

/** Reads every file `parseDeclarations` looks at from a repo checkout, with `/`-separated relative paths. */
export async function readDeclarationFiles(dir: string): Promise<SourceFile[]> {
  const paths = [...(await listFiles(dir, 'platform-config')), ...(await listFiles(dir, 'stacks'))].filter(isDeclarationPath).sort();
  return Promise.all(paths.map(async (path) => ({ path, text: await readFile(join(dir, ...path.split('/')), 'utf8') })));
}

/** Reads and validates the declarations of a repo checkout. */
export async function loadDeclarations(dir: string): Promise<LoadResult> {
  if (!(await isDirectory(join(dir, 'platform-config')))) {
    return {
      ok: false,
      issues: [
        {
          file: 'platform-config/',
          line: 1,
          col: 1,
          path: '',
          message: `directory not found in ${resolve(dir)} (expected platform-config/<kind>/<name>.yaml files with <kind> one of: gtm, autoscale, regions)`,
        },
      ],
    };
  }
  return parseDeclarations(await readDeclarationFiles(dir));
}

function collect(repo: ParsedRepo): Declarations {
  const byName = <T>(files: ParsedFile<T>[]): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const file of files) if (file.value !== undefined) out[file.name] = file.value;
    return out;
  };
  return { gtm: byName(repo.gtm), autoscale: byName(repo.autoscale), regions: byName(repo.regions), stacks: byName(repo.stacks) };
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return compare(a.file, b.file) || a.line - b.line || a.col - b.col || compare(a.path, b.path) || compare(a.message, b.message);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Relative paths of the files under `dir/sub`, recursively; none when it does not exist. */
async function listFiles(dir: string, sub: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, sub), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = `${sub}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, path)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(join(dir, path))))) out.push(path);
  }
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
