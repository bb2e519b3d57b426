// `xplane drift`: has anything changed behind Pulumi's back? A refresh in
// preview mode of each region stack (regions in parallel) compares the real
// state of every resource with the state Pulumi recorded at the last converge,
// records nothing, and reports each resource that differs — a DNS record edited
// in the provider's console, a node that died or was deleted by hand.
import { resolve } from 'node:path';
import { converge, describeResourceChange, PlainReporter, type ResourceChange, type StackResult } from '../../converge/index.js';
import { parse, UsageError } from '../../flags/index.js';
import { out, outJson } from '../output.js';
import { automationRunner, selectStacks, STACK_ENVIRONMENT } from './stack-runner.js';

/** Usage text of `xplane drift`. */
export const driftHelp = `Usage: xplane drift [--stack S]... [--json]

Refreshes each region stack in preview mode (the Automation API's
previewRefresh: Pulumi reads every resource back from the cloud and records
nothing) and reports the resources whose real state differs from the state
Pulumi recorded at the last converge: changed (with each property, recorded →
real) or gone. Regions run in parallel. Run \`xplane converge --refresh\` to
put them back as Git says.

Exit 0: no drift. Exit 3: drift in some stack. Exit 1: a stack could not be
checked (it was never converged, the backend or the cloud did not answer), even
if another one drifted. Exit 2: a usage error.

  --stack S          check stack S (repeatable; default: every stacks/Pulumi.<stack>.yaml)
  --concurrency N    stacks at once (default 4)
  --dir DIR          the repo root (default: the current directory)
  --json             print {drift, stacks: [{stack, status, resources, error}]} on stdout
                     (status: clean, drifted or failed; progress on stderr)

${STACK_ENVIRONMENT}`;

/** Exit code when some stack drifted (0: none, 1: error, 2: usage). */
export const DRIFT_EXIT = 3;

/** One stack's finding. */
export interface StackDrift {
  stack: string;
  status: 'clean' | 'drifted' | 'failed';
  /** The resources that differ from Pulumi's record. */
  resources: ResourceChange[];
  error: string | null;
}

/** A converge result of the drift action as a finding. */
export function stackDrift(r: StackResult): StackDrift {
  const status = r.status === 'failed' ? 'failed' : r.resources.length > 0 ? 'drifted' : 'clean';
  return { stack: r.stack, status, resources: r.resources, error: r.error };
}

/** The findings for a person: one block per stack. */
export function driftReport(findings: StackDrift[]): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    if (f.status === 'clean') lines.push(`${f.stack}: no drift`);
    if (f.status === 'failed') lines.push(`${f.stack}: could not check: ${f.error ?? ''}`);
    if (f.status === 'drifted') {
      lines.push(`${f.stack}: ${f.resources.length} resource${f.resources.length === 1 ? '' : 's'} drifted from Pulumi's state`);
      for (const r of f.resources) lines.push(...describeResourceChange(r, true).map((l) => `  ${l}`));
    }
  }
  return lines;
}

/** The exit code of a set of findings: an error wins over drift, drift over none. */
export function driftExitCode(findings: StackDrift[]): number {
  if (findings.some((f) => f.status === 'failed')) return 1;
  return findings.some((f) => f.status === 'drifted') ? DRIFT_EXIT : 0;
}

/** Runs `xplane drift`; returns the exit code. */
export async function driftCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { stack: { type: 'string', multiple: true }, concurrency: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
    false,
  );
  const root = resolve(typeof values.dir === 'string' ? values.dir : '.');
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency: expected a whole number >= 1, got "${String(values.concurrency)}"`);
  const stacks = await selectStacks(root, (values.stack as string[] | undefined) ?? []);
  const runner = await automationRunner(root);
  const json = values.json === true;
  // Progress always on stderr: stdout is the report.
  const reporter = new PlainReporter((line) => void process.stderr.write(`${line}\n`));
  const results = await converge({ stacks, action: 'drift', refresh: false, runner, reporter, concurrency });
  const findings = results.map(stackDrift);
  if (json) outJson({ drift: findings.some((f) => f.status === 'drifted'), stacks: findings });
  else for (const line of driftReport(findings)) out(line);
  return driftExitCode(findings);
}
