// The StackRunner on Pulumi's Automation API: an inline program (no language
// host binary needed) in a workspace whose workDir is the repo root, so the
// CLI reads Pulumi.yaml and stacks/Pulumi.<stack>.yaml (stackConfigDir).
import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { errorText } from '../errors.js';
import { classifyError } from './errors.js';
import { resourceChange, type ResourceChange } from './resource-changes.js';
import { ConvergeError, type RunOptions, type StackAction, type StackEvent, type StackRunOutput, type StackRunner } from './types.js';

/** Settings of the Automation API runner. */
export interface AutomationRunnerOptions {
  /** The repo root: Pulumi.yaml and stacks/ live here. */
  root: string;
  /** The inline program for a stack. */
  program: (stack: string) => PulumiFn;
  /** The pulumi CLI binary. */
  cli: string;
  /** Environment for the CLI (backend URL, passphrase, PATH with the plugin shim). */
  env: Record<string, string>;
}

function toEvent(e: EngineEvent): StackEvent | undefined {
  const pre = e.resourcePreEvent?.metadata;
  if (pre) return { kind: 'step', op: pre.op, type: pre.type, name: pre.urn.split('::').at(-1) ?? pre.urn, done: false };
  const out = e.resOutputsEvent?.metadata;
  if (out) return { kind: 'step', op: out.op, type: out.type, name: out.urn.split('::').at(-1) ?? out.urn, done: true };
  const d = e.diagnosticEvent;
  if (d && (d.severity === 'error' || d.severity === 'warning')) return { kind: 'diagnostic', severity: d.severity, message: d.message.trim() };
  return undefined;
}

/**
 * The resources part of `pulumi preview --diff`'s output: from the first
 * resource line to the last before the `Resources:` summary, which the counts already give.
 */
export function engineDiff(stdout: string): string {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^\s+\S/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^(Resources|Diagnostics|Outputs):/.test(l));
  return lines
    .slice(Math.max(start, 0), end < 0 ? undefined : end)
    .join('\n')
    .trimEnd();
}

/** Runs stack actions through the Automation API. */
export class AutomationRunner implements StackRunner {
  private command: Promise<PulumiCommand> | null = null;

  constructor(private readonly opts: AutomationRunnerOptions) {}

  async run(stackName: string, action: StackAction, options: RunOptions): Promise<StackRunOutput> {
    // The engine's own error diagnostics say what went wrong better than the CLI's output dump.
    const errors: string[] = [];
    // Per resource, the last word of the engine: a preview's plan, an up's outcome, a refresh's finding.
    const resources = new Map<string, ResourceChange>();
    try {
      this.command ??= PulumiCommand.get({ root: this.cliRoot(), skipVersionCheck: true });
      const stack = await this.stack(stackName, action, await this.command);
      // A refresh's events say only that a resource differs: the changes are what it read back against what was recorded.
      const compare = action === 'drift' || action === 'refresh' ? 'outputs' : 'inputs';
      const onEvent = (e: EngineEvent): void => {
        const event = toEvent(e);
        if (event?.kind === 'diagnostic' && event.severity === 'error' && !errors.includes(event.message)) errors.push(event.message);
        if (event) options.onEvent(event);
        const step = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
        const change = step ? resourceChange(step, compare) : undefined;
        if (step) {
          if (change) resources.set(step.urn, change);
          else resources.delete(step.urn);
        }
      };
      const changed = (): ResourceChange[] => [...resources.values()];
      switch (action) {
        case 'preview': {
          const r = await stack.preview({ onEvent, refresh: options.refresh, color: 'never', diff: true });
          return { changes: { ...r.changeSummary }, outputs: {}, resources: changed(), diff: engineDiff(r.stdout) };
        }
        case 'up': {
          const r = await stack.up({ onEvent, refresh: options.refresh, color: 'never' });
          return {
            changes: { ...(r.summary.resourceChanges ?? {}) },
            outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.secret ? '[secret]' : v.value])),
            resources: changed(),
          };
        }
        case 'refresh': {
          const r = await stack.refresh({ onEvent, color: 'never' });
          return { changes: { ...(r.summary.resourceChanges ?? {}) }, outputs: {}, resources: changed() };
        }
        case 'drift': {
          const r = await stack.previewRefresh({ onEvent, color: 'never' });
          return { changes: { ...r.changeSummary }, outputs: {}, resources: changed() };
        }
        case 'destroy': {
          const r = await stack.destroy({ onEvent, color: 'never' });
          return { changes: { ...(r.summary.resourceChanges ?? {}) }, outputs: {}, resources: changed() };
        }
      }
    } catch (err) {
      const failure = classifyError(err);
      throw errors.length > 0 && failure.kind === 'failed' ? new ConvergeError('failed', errors.join('\n')) : failure;
    }
  }

  /** The stack to act on: created on first use, except for a drift check, which only reads and has nothing to compare on a stack never converged. */
  private async stack(stackName: string, action: StackAction, pulumiCommand: PulumiCommand): Promise<Stack> {
    const args = { stackName, projectName: 'xplane', program: this.opts.program(stackName) };
    const workspace = { workDir: this.opts.root, pulumiCommand, envVars: this.opts.env };
    if (action !== 'drift') return LocalWorkspace.createOrSelectStack(args, workspace);
    try {
      return await LocalWorkspace.selectStack(args, workspace);
    } catch (err) {
      if (/no stack named|stack .* not found/i.test(errorText(err))) {
        throw new ConvergeError('failed', `stack ${stackName} has no state in ${this.opts.env.PULUMI_BACKEND_URL ?? 'the backend'}: converge it first`);
      }
      throw err;
    }
  }

  // PulumiCommand.get({root}) runs <root>/bin/pulumi.
  private cliRoot(): string {
    const parts = this.opts.cli.split('/');
    if (parts.at(-2) !== 'bin') throw new Error(`the pulumi CLI must sit in a bin/ folder, got ${this.opts.cli}`);
    return parts.slice(0, -2).join('/') || '/';
  }
}
