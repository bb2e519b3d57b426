// What `xplane converge` and `xplane drift` share: which stacks to run and the
// Automation API runner over this repo's program, with its state backend.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AutomationRunner, discoverStacks, findPulumiCli, pathWithCli } from '../../converge/index.js';
import { UsageError } from '../../flags/index.js';
import { err } from '../output.js';

/** The environment both commands read, for their usage texts. */
export const STACK_ENVIRONMENT = `Environment:
  PULUMI_BACKEND_URL        state backend (default file://<dir>/.xplane/pulumi)
  PULUMI_CONFIG_PASSPHRASE  passphrase of the stacks' secrets (or _FILE)
  PULUMI_CLI_PATH           the pulumi binary (else PATH, the pulumi npm
                            package, or scripts/build-pulumi-cli.sh's cache)`;

/** The stacks named with --stack (each must have a stacks/Pulumi.<stack>.yaml), or every stack of the repo. */
export async function selectStacks(root: string, named: string[]): Promise<string[]> {
  const all = await discoverStacks(root);
  if (all.length === 0) throw new UsageError(`no stacks/Pulumi.<stack>.yaml under ${root}`);
  for (const s of named) if (!all.includes(s)) throw new UsageError(`--stack ${s}: no stacks/Pulumi.${s}.yaml (stacks: ${all.join(', ')})`);
  return named.length > 0 ? named : all;
}

/** The Automation API runner of the repo at `root`: its program inline, the CLI found, the backend made if it is a folder. */
export async function automationRunner(root: string): Promise<AutomationRunner> {
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
  return new AutomationRunner({ root, cli, env, program: () => xplaneProgram({ root }) });
}
