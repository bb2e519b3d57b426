// An in-memory StackRunner that records its calls and plays scripted
// outcomes, for unit tests of the code around the runner.
import { ConvergeError, type RunOptions, type StackAction, type StackRunOutput, type StackRunner } from './types.js';

/** A scripted outcome of one call. */
export type FakeOutcome = StackRunOutput | { fail: 'locked' | 'failed'; message: string };

/** A recorded call. */
export interface FakeCall {
  stack: string;
  action: StackAction;
  refresh: boolean;
}

/** Plays `script[stack]` outcomes in order (the last one repeats). */
export class FakeRunner implements StackRunner {
  readonly calls: FakeCall[] = [];
  private running = 0;
  /** Most stacks that ran at the same time. */
  maxParallel = 0;

  constructor(
    private readonly script: Record<string, FakeOutcome[]>,
    private readonly delayMs = 5,
  ) {}

  async run(stack: string, action: StackAction, options: RunOptions): Promise<StackRunOutput> {
    this.calls.push({ stack, action, refresh: options.refresh });
    this.running += 1;
    this.maxParallel = Math.max(this.maxParallel, this.running);
    try {
      options.onEvent({ kind: 'step', op: 'create', type: 'test:Thing', name: `${stack}-thing`, done: false });
      await new Promise((r) => setTimeout(r, this.delayMs));
      const outcomes = this.script[stack] ?? [{ changes: { same: 1 }, outputs: {} }];
      const made = this.calls.filter((c) => c.stack === stack).length;
      const outcome = outcomes[Math.min(made, outcomes.length) - 1] as FakeOutcome;
      if ('fail' in outcome) throw new ConvergeError(outcome.fail, outcome.message);
      options.onEvent({ kind: 'step', op: 'create', type: 'test:Thing', name: `${stack}-thing`, done: true });
      return outcome;
    } finally {
      this.running -= 1;
    }
  }
}
