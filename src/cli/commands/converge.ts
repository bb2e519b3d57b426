// `xplane converge` / `xplane preview`: the Pulumi Automation API over every
// region stack (or the ones named or changed), regions in parallel.
import { resolve } from 'node:path';
import { converge, type ConvergeReporter, PlainReporter, TtyReporter, summaryTable, changedStacks, type StackAction } from '../../converge/index.js';
import { parse, UsageError } from '../../flags/index.js';
import { out, outJson } from '../output.js';
import { automationRunner, selectStacks, STACK_ENVIRONMENT } from './stack-runner.js';

// The options both usage texts share.
const convergeOptions = `  --stack S          STACKS (repeatable)
  --changed REV      only stacks whose inputs changed since REV (git revision)
  --refresh          refresh state from the cloud first
  --concurrency N    stacks at once (default 4)
  --dir DIR          the repo root (default: the current directory)
  --list             print the stacks that would run and exit (JSON with --json)
  --json             print the results as JSON on stdout (progress on stderr)

${STACK_ENVIRONMENT}`;

/** Usage text of `xplane converge`. */
export const convergeHelp = `Usage: xplane converge [--stack S]... [--changed REV] [--preview] [--refresh] [--json]

Runs the Pulumi program of this repo (program/) on each region stack with the
Automation API: \`pulumi up\` of every stack, regions in parallel, so each
region's VMs and DNS records match its stacks/Pulumi.<stack>.yaml. Stacks
default to every stacks/Pulumi.<stack>.yaml. Exit 1 when any stack failed,
2 on a usage error.

  --preview          preview instead of up (also: xplane preview)
${convergeOptions.replace('STACKS', 'converge stack S')}`;

/** Usage text of `xplane preview`. */
export const previewHelp = `Usage: xplane preview [--stack S]... [--changed REV] [--refresh] [--json]

Shows what \`xplane converge\` would change, without changing anything: a
Pulumi preview of each region stack (the Automation API's \`preview\`),
regions in parallel, with the number of resources each would create, update,
replace or delete. Exit 1 when any preview failed, 2 on a usage error.

${convergeOptions.replace('STACKS', 'preview stack S')}`;

/** Runs `xplane converge` (or `preview` when `forcePreview`); returns the exit code. */
export async function convergeCommand(argv: string[], forcePreview = false): Promise<number> {
  const { values } = parse(
    argv,
    {
      stack: { type: 'string', multiple: true },
      changed: { type: 'string' },
      preview: { type: 'boolean' },
      refresh: { type: 'boolean' },
      concurrency: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
    },
    false,
  );
  const root = resolve(typeof values.dir === 'string' ? values.dir : '.');
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency: expected a whole number >= 1, got "${String(values.concurrency)}"`);
  const action: StackAction = forcePreview || values.preview === true ? 'preview' : 'up';

  let stacks = await selectStacks(root, (values.stack as string[] | undefined) ?? []);
  // A new branch's first push has no "before" (all zeros): everything is new.
  if (typeof values.changed === 'string' && !/^0+$/.test(values.changed)) {
    const changed = await changedStacks(root, values.changed);
    stacks = stacks.filter((s) => changed.includes(s));
  }
  const json = values.json === true;
  if (values.list === true) {
    if (json) outJson(stacks);
    else for (const s of stacks) out(s);
    return 0;
  }
  if (stacks.length === 0) {
    if (json) outJson([]);
    else out('no stack to converge: nothing changed');
    return 0;
  }

  const runner = await automationRunner(root);
  const write = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  const reporter: ConvergeReporter = !json && process.stdout.isTTY ? new TtyReporter(stacks, process.stdout) : new PlainReporter(write);
  const results = await converge({ stacks, action, refresh: values.refresh === true, runner, reporter, concurrency });
  if (json) outJson(results);
  else {
    // A preview shows what it would do to each resource, as \`pulumi preview --diff\` does.
    for (const r of results) if (r.diff) out(`\n${r.stack}:\n${r.diff}`);
    out(`\n${summaryTable(results)}`);
  }
  return results.every((r) => r.status === 'succeeded') ? 0 : 1;
}
