// Which files of a GitOps repo are declarations. Misplaced files under
// platform-config/ are reported rather than skipped: a policy saved as
// `gtm/svc-plus.yml` would otherwise silently not apply.

/** The kinds of file under platform-config/. */
export const DECLARATION_KINDS = ['gtm', 'autoscale', 'regions'] as const;

/** One of gtm, autoscale, regions. */
export type DeclarationKind = (typeof DECLARATION_KINDS)[number];

/** What a repo path is to the loader. */
export type PathRole =
  | { role: 'declaration'; kind: DeclarationKind; name: string }
  | { role: 'stack'; region: string }
  | { role: 'misplaced'; message: string }
  | { role: 'ignored' };

const DECLARATION = /^platform-config\/(gtm|autoscale|regions)\/([^/]+)\.yaml$/;
const STACK = /^stacks\/Pulumi\.([^/]+)\.yaml$/;
const STACK_YML = /^stacks\/Pulumi\.([^/]+)\.yml$/;

/** Classifies a path relative to the repo root, with `/` separators. */
export function pathRole(path: string): PathRole {
  const declaration = DECLARATION.exec(path);
  if (declaration) return { role: 'declaration', kind: declaration[1] as DeclarationKind, name: declaration[2] ?? '' };
  const stack = STACK.exec(path);
  if (stack) return { role: 'stack', region: stack[1] ?? '' };
  if (STACK_YML.test(path)) return { role: 'misplaced', message: 'expected stacks/Pulumi.<region>.yaml' };
  if (path.startsWith('platform-config/')) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    // Dotfiles (.gitkeep) and notes for humans (README.md) are not declarations.
    if (base.startsWith('.') || base.endsWith('.md')) return { role: 'ignored' };
    return {
      role: 'misplaced',
      message: `expected platform-config/<kind>/<name>.yaml with <kind> one of: ${DECLARATION_KINDS.join(', ')}`,
    };
  }
  return { role: 'ignored' };
}

/** True for every path `parseDeclarations` looks at, so a caller reading a Git tree knows what to pass. */
export function isDeclarationPath(path: string): boolean {
  return pathRole(path).role !== 'ignored';
}
