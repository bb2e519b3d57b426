// The StackRunner on Pulumi's Automation API: an inline program (no language
// host binary needed) in a workspace whose workDir is the repo root, so the
// CLI reads Pulumi.yaml and stacks/Pulumi.<stack>.yaml (stackConfigDir).
import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn } from '@pulumi/pulumi/automation/index.js';
import { classifyError } from './errors.js';
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

/** Runs stack actions through the Automation API. */
export class AutomationRunner implements StackRunner {
  private command: Promise<PulumiCommand> | null = null;

  constructor(private readonly opts: AutomationRunnerOptions) {}

  async run(stackName: string, action: StackAction, options: RunOptions): Promise<StackRunOutput> {
    // The engine's own error diagnostics say what went wrong better than the CLI's output dump.
    const errors: string[] = [];
    try {
      this.command ??= PulumiCommand.get({ root: this.cliRoot(), skipVersionCheck: true });
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: 'xplane', program: this.opts.program(stackName) },
        { workDir: this.opts.root, pulumiCommand: await this.command, envVars: this.opts.env },
      );
      const onEvent = (e: EngineEvent): void => {
        const event = toEvent(e);
        if (event?.kind === 'diagnostic' && event.severity === 'error' && !errors.includes(event.message)) errors.push(event.message);
        if (event) options.onEvent(event);
      };
      switch (action) {
        case 'preview': {
          const r = await stack.preview({ onEvent, refresh: options.refresh, color: 'never' });
          return { changes: { ...r.changeSummary }, outputs: {} };
        }
        case 'up': {
          const r = await stack.up({ onEvent, refresh: options.refresh, color: 'never' });
          return {
            changes: { ...(r.summary.resourceChanges ?? {}) },
            outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.secret ? '[secret]' : v.value])),
          };
        }
        case 'refresh': {
          const r = await stack.refresh({ onEvent, color: 'never' });
          return { changes: { ...(r.summary.resourceChanges ?? {}) }, outputs: {} };
        }
        case 'destroy': {
          const r = await stack.destroy({ onEvent, color: 'never' });
          return { changes: { ...(r.summary.resourceChanges ?? {}) }, outputs: {} };
        }
      }
    } catch (err) {
      const failure = classifyError(err);
      throw errors.length > 0 && failure.kind === 'failed' ? new ConvergeError('failed', errors.join('\n')) : failure;
    }
  }

  // PulumiCommand.get({root}) runs <root>/bin/pulumi.
  private cliRoot(): string {
    const parts = this.opts.cli.split('/');
    if (parts.at(-2) !== 'bin') throw new Error(`the pulumi CLI must sit in a bin/ folder, got ${this.opts.cli}`);
    return parts.slice(0, -2).join('/') || '/';
  }
}
