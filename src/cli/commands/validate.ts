// `xplane validate [dir]`: checks a GitOps repo's declarations.
import { resolve } from 'node:path';
import { formatIssue, loadDeclarations } from '../../config/index.js';
import { parse } from '../../flags/index.js';
import { out, outJson } from '../output.js';

/** Usage text of `xplane validate`. */
export const validateHelp = `Usage: xplane validate [dir] [--json]

Checks the declarations of a GitOps repo (platform-config/ and stacks/) and
the rules between them. Exit 0 when valid; exit 1 with every problem as
file:line:col key.path: message. Warnings (allowed, but likely not meant,
e.g. a fallback region that may scale to no nodes) are printed the same way
after "warning:" and do not change the exit code.

  dir      the repo's root (default: the current directory)
  --json   print {valid, issues[], warnings[]} as JSON`;

/** Runs `xplane validate`; returns the exit code. */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, true);
  const dir = resolve(positionals[0] ?? '.');
  const result = await loadDeclarations(dir);
  if (values.json) {
    outJson(
      result.ok
        ? {
            valid: true,
            issues: [],
            warnings: result.warnings.map((i) => ({ ...i, text: formatIssue(i) })),
            services: Object.keys(result.declarations.gtm),
            regions: Object.keys(result.declarations.regions),
          }
        : { valid: false, issues: result.issues.map((i) => ({ ...i, text: formatIssue(i) })) },
    );
    return result.ok ? 0 : 1;
  }
  if (result.ok) {
    const d = result.declarations;
    for (const warning of result.warnings) out(`warning: ${formatIssue(warning)}`);
    out(
      `valid: ${count(Object.keys(d.gtm).length, 'gtm policy', 'gtm policies')}, ${count(Object.keys(d.autoscale).length, 'autoscale policy', 'autoscale policies')}, ` +
        `${count(Object.keys(d.regions).length, 'region')}, ${count(Object.keys(d.stacks).length, 'stack')}`,
    );
    return 0;
  }
  for (const issue of result.issues) out(formatIssue(issue));
  out(`invalid: ${count(result.issues.length, 'problem')}`);
  return 1;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
