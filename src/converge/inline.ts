// Inline converge (`converge: inline`, the playground's mode): instead of CI,
// the control plane itself follows the GitOps branch in a checkout and
// converges the stacks whose inputs changed after every new commit.
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { git, normalizeRemote } from '../gitops/index.js';
import type { Logger } from '../log/index.js';
import { LoopSlot, done, type PassResult } from '../loop/index.js';
import { converge, type ConvergeReporter } from './converge.js';
import { PlainReporter } from './progress.js';
import { changedStacks, discoverStacks } from './stacks.js';
import type { StackResult, StackRunner } from './types.js';

/** What an inline converger works on. */
export interface InlineConvergeOptions {
  /** The GitOps remote (URL or path) and branch. */
  remote: string;
  branch: string;
  /** The checkout it converges from (cloned on first use). */
  checkout: string;
  runner: StackRunner;
  log: Logger;
  /** How often to look for new commits (default 2 s). */
  intervalMs?: number;
  reporter?: ConvergeReporter;
  /** Called with the results of every converge. */
  onConverged?: (results: StackResult[]) => void;
}

/** Follows the branch and converges changed stacks. */
export class InlineConverger {
  private readonly slot: LoopSlot;
  private converged: string | null = null;
  /** The first converge while it runs: a stop waits for it, so no stack is still starting nodes after. */
  private first: Promise<unknown> | null = null;
  /** Set by stop(): a start() that comes later (the first converge finishing) does nothing. */
  private stopped = false;

  constructor(private readonly opts: InlineConvergeOptions) {
    this.slot = new LoopSlot({ name: 'inline-converge', log: opts.log, pass: () => this.pass() });
  }

  /** Clones the checkout if needed; returns its head. */
  async prepare(): Promise<string> {
    const { checkout, remote, branch } = this.opts;
    if (!existsSync(`${checkout}/.git`)) {
      mkdirSync(dirname(checkout), { recursive: true });
      await git(dirname(checkout), ['clone', '--quiet', '--branch', branch, remote, checkout]);
    }
    return (await git(checkout, ['rev-parse', 'HEAD'])).trim();
  }

  /** Converges every stack of the checkout (the first run). */
  async convergeAll(): Promise<StackResult[]> {
    this.stopped = false;
    const running = (async (): Promise<StackResult[]> => {
      const head = await this.prepare();
      const results = await this.run(await discoverStacks(this.opts.checkout));
      this.converged = head;
      return results;
    })();
    this.first = running.catch(() => undefined);
    try {
      return await running;
    } finally {
      this.first = null;
    }
  }

  /** Starts following the branch, unless stop() came first. */
  start(): void {
    if (this.stopped) return;
    this.slot.start(this.opts.intervalMs ?? 2_000);
  }

  /** Looks for new commits soon. */
  trigger(): void {
    this.slot.trigger();
  }

  /** Stops following, after the running converge (the first one included). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.slot.stop();
    await this.first;
  }

  /** One look: fast-forward the checkout and converge what changed. */
  async pass(): Promise<PassResult> {
    const { checkout, branch } = this.opts;
    const before = this.converged ?? (await this.prepare());
    await git(checkout, ['fetch', '--quiet', 'origin', branch]);
    await git(checkout, ['merge', '--quiet', '--ff-only', `origin/${branch}`]);
    const head = (await git(checkout, ['rev-parse', 'HEAD'])).trim();
    if (head === before) return done;
    const stacks = await changedStacks(checkout, before);
    this.opts.log.info({ from: before, to: head, stacks }, `inline converge: ${head.slice(0, 7)} changes ${stacks.join(', ') || 'no stack'}`);
    const results = stacks.length > 0 ? await this.run(stacks) : [];
    // A failed stack is retried on the next commit or pass: stay on the old base for it.
    if (results.every((r) => r.status === 'succeeded')) this.converged = head;
    return results.every((r) => r.status === 'succeeded')
      ? done
      : { kind: 'error', error: new Error(results.find((r) => r.error)?.error ?? 'converge failed') };
  }

  /** Destroys every stack of the checkout (the playground's nodes stop with it). */
  async destroyAll(): Promise<StackResult[]> {
    await this.prepare();
    return this.run(await discoverStacks(this.opts.checkout), 'destroy');
  }

  private async run(stacks: string[], action: 'up' | 'destroy' = 'up'): Promise<StackResult[]> {
    const reporter = this.opts.reporter ?? new PlainReporter((line) => this.opts.log.info(line));
    const results = await converge({ stacks, action, refresh: action === 'up', runner: this.opts.runner, reporter, concurrency: 4, lockBackoffMs: 1_000 });
    this.opts.onConverged?.(results);
    return results;
  }
}

/** Everything `inlineConverger` needs from the control plane. */
export interface InlineSetup {
  remote: string;
  branch: string;
  /** The control plane's work dir; the checkout and Pulumi state go beside it. */
  workdir: string;
  bootstrapToken: string;
  /** The control plane's URL, for nodes the program starts. */
  serverUrl: string;
  log: Logger;
  env?: Record<string, string | undefined>;
}

/** Builds the inline converger of `converge: inline` on the Automation API runner. */
export async function inlineConverger(setup: InlineSetup): Promise<InlineConverger> {
  const { AutomationRunner } = await import('./automation-runner.js');
  const { findPulumiCli, pathWithCli } = await import('./pulumi-cli.js');
  const { xplaneProgram } = await import('../../program/xplane-program.js');
  const env = setup.env ?? process.env;
  const base = dirname(setup.workdir);
  const checkout = `${base}/checkout`;
  const cli = await findPulumiCli(checkout, env);
  const backend = env.PULUMI_BACKEND_URL ?? `file://${base}/pulumi`;
  if (backend.startsWith('file://')) mkdirSync(backend.slice('file://'.length), { recursive: true });
  const cliEnv: Record<string, string> = {
    PULUMI_BACKEND_URL: backend,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PATH: pathWithCli(cli, checkout, env.PATH ?? ''),
    ...(env.PULUMI_CONFIG_PASSPHRASE !== undefined ? { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE } : {}),
    ...(env.PULUMI_HOME !== undefined ? { PULUMI_HOME: env.PULUMI_HOME } : {}),
  };
  const programEnv = { ...env, XPLANE_BOOTSTRAP_TOKEN: setup.bootstrapToken, XPLANE_SERVER: setup.serverUrl };
  const runner = new AutomationRunner({ root: checkout, cli, env: cliEnv, program: () => xplaneProgram({ root: checkout, env: programEnv }) });
  return new InlineConverger({ remote: normalizeRemote(setup.remote), branch: setup.branch, checkout, runner, log: setup.log });
}
