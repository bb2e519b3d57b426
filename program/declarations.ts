// Loads what the program needs from the GitOps repo: platform-config/ as it
// is on disk, and the region stack's own `xplane:region` / `xplane:pools` as
// Pulumi passes them (the stack file under the CLI, or whatever the Automation
// API set). The files under stacks/ are deliberately not read: a stack runs on
// its own config, a broken sibling stack file must not stop it, and the global
// stack has no region file at all.
//
// The stack's two keys go through the same validation as a stack file
// (parseDeclarations with a stand-in stacks/Pulumi.<region>.yaml), so node
// names, duplicates and `excluded` membership are checked by the one set of
// rules the control loop also uses.
import { stringify } from 'yaml';
import { formatIssue, parseDeclarations, readDeclarationFiles, type ConfigIssue, type Declarations, type SourceFile } from '../src/config/index.js';

/** The region stack's keys that are validated with the declarations. */
export interface StackKeys {
  region: string;
  pools: unknown;
}

/** Reads platform-config/ under `root` and validates it, with the region stack's keys when given; throws listing every issue. */
export async function loadProgramDeclarations(root: string, stack?: StackKeys): Promise<Declarations> {
  const files = (await readDeclarationFiles(root)).filter((file) => file.path.startsWith('platform-config/'));
  return parseProgramDeclarations(files, stack);
}

/** Like loadProgramDeclarations, over files already read. */
export function parseProgramDeclarations(files: SourceFile[], stack?: StackKeys): Declarations {
  if (!files.some((file) => file.path.startsWith('platform-config/'))) {
    throw new Error('no platform-config/ declarations found: run the program from the root of the GitOps repo (or pass its root)');
  }
  const standIn = stack === undefined ? undefined : stackFile(stack);
  const result = parseDeclarations(standIn === undefined ? files : [...files, standIn]);
  if (result.ok) return result.declarations;
  const lines = result.issues.map((issue) => (issue.file === standIn?.path ? stackIssue(issue) : formatIssue(issue)));
  throw new Error(`the GitOps repo's declarations are invalid:\n  ${lines.join('\n  ')}`);
}

function stackFile(stack: StackKeys): SourceFile {
  // Only the keys the loader knows: the program's own keys (controlPlaneUrl, …) are not the loader's business.
  const config = { 'xplane:region': stack.region, 'xplane:pools': stack.pools ?? {} };
  return { path: `stacks/Pulumi.${stack.region}.yaml`, text: stringify({ config }) };
}

// Line and column would point into the stand-in text, not the real stack file, so only the key path is shown.
function stackIssue(issue: ConfigIssue): string {
  const path = issue.path.replace(/^config\./, '');
  return `stack config ${path === '' ? '' : `${path}: `}${issue.message}`;
}
