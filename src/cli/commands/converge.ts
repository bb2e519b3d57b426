// `xplane converge` / `xplane preview`: the Pulumi Automation API over every
// region stack (or the ones named or changed), regions in parallel.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AutomationRunner,
  converge,
  type ConvergeReporter,
  PlainReporter,
  TtyReporter,
  summaryTable,
  findPulumiCli,
  pathWithCli,
  changedStacks,
  discoverStacks,
  type StackAction,
} from '../../converge/index.js';
import { parse, UsageError } from '../../flags/index.js';
import { err, out, outJson } from '../output.js';

// The options both usage texts share.
const convergeOptions = `  --stack S          STACKS (repeatable)
  --changed REV      only stacks whose inputs changed since REV (git revision)
  --refresh          refresh state from the cloud first
  --concurrency N    stacks at once (default 4)
  --dir DIR          the repo root (default: the current directory)
  --list             print the stacks that would run and exit (JSON with --json)
  --json             print the results as JSON on stdout (progress on stderr)

Environment:
  PULUMI_BACKEND_URL        state backend (default file://<dir>/.xplane/pulumi)
  PULUMI_CONFIG_PASSPHRASE  passphrase of the stacks' secrets (or _FILE)
  PULUMI_CLI_PATH           the pulumi binary (else PATH, the pulumi npm
                            package, or scripts/build-pulumi-cli.sh's cache)`;

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

  const all = await discoverStacks(root);
  if (all.length === 0) throw new UsageError(`no stacks/Pulumi.<stack>.yaml under ${root}`);
  const named = (values.stack as string[] | undefined) ?? [];
  for (const s of named) if (!all.includes(s)) throw new UsageError(`--stack ${s}: no stacks/Pulumi.${s}.yaml (stacks: ${all.join(', ')})`);
  let stacks = named.length > 0 ? named : all;
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

  const cli = await findPulumiCli(root);
  const backend = process.env.PULUMI_BACKEND_URL ?? `file://${join(root, '.xplane', 'pulumi')}`;
  if (backend.startsWith('file://')) mkdirSync(backend.slice('file://'.length), { recursive: true });
  if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined && process.env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    err('note: PULUMI_CONFIG_PASSPHRASE is not set; stacks with secrets need it (see README, "Converge")');
  }
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: backend,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PATH: pathWithCli(cli, root),
  };
  const { xplaneProgram } = await import('../../../program/xplane-program.js');
  const runner = new AutomationRunner({ root, cli, env, program: () => xplaneProgram({ root }) });
  const write = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  const reporter: ConvergeReporter = !json && process.stdout.isTTY ? new TtyReporter(stacks, process.stdout) : new PlainReporter(write);
  const results = await converge({ stacks, action, refresh: values.refresh === true, runner, reporter, concurrency });
  if (json) outJson(results);
  else out(`\n${summaryTable(results)}`);
  return results.every((r) => r.status === 'succeeded') ? 0 : 1;
}
