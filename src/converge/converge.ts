// Converges several stacks: regions in parallel up to a limit, a locked
// stack retried with backoff up to a limit, every result collected (one
// stack's failure never stops the others).
import { backoffDelay } from '../loop/index.js';
import { classifyError } from './errors.js';
import type { StackAction, StackEvent, StackResult, StackRunner } from './types.js';

/** Receives progress; the CLI renders it for a terminal or for CI logs. */
export interface ConvergeReporter {
  started(stack: string, action: StackAction, attempt: number): void;
  event(stack: string, event: StackEvent): void;
  retrying(stack: string, waitMs: number, reason: string): void;
  finished(result: StackResult): void;
}

/** What to converge and how. */
export interface ConvergeOptions {
  stacks: string[];
  action: StackAction;
  refresh: boolean;
  runner: StackRunner;
  reporter: ConvergeReporter;
  /** Stacks run at once (default 4). */
  concurrency?: number;
  /** Tries of a locked stack before giving up (default 5). */
  lockAttempts?: number;
  /** First wait after a lock, doubled each try (default 5 s). */
  lockBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Runs `action` on every stack and returns the results in the order of `stacks`. */
export async function converge(opts: ConvergeOptions): Promise<StackResult[]> {
  const results: StackResult[] = new Array<StackResult>(opts.stacks.length);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.stacks.length) {
      const index = next++;
      const stack = opts.stacks[index] as string;
      results[index] = await convergeOne(stack, opts, sleep, now);
      opts.reporter.finished(results[index]);
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? 4, opts.stacks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

async function convergeOne(stack: string, opts: ConvergeOptions, sleep: (ms: number) => Promise<void>, now: () => number): Promise<StackResult> {
  const started = now();
  const attempts = opts.lockAttempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    opts.reporter.started(stack, opts.action, attempt);
    try {
      const out = await opts.runner.run(stack, opts.action, { refresh: opts.refresh, onEvent: (e) => opts.reporter.event(stack, e) });
      return {
        stack,
        action: opts.action,
        status: 'succeeded',
        changes: out.changes,
        outputs: out.outputs,
        resources: out.resources ?? [],
        diff: out.diff ?? null,
        attempts: attempt,
        durationMs: now() - started,
        error: null,
      };
    } catch (err) {
      const failure = classifyError(err);
      if (failure.kind === 'locked' && attempt < attempts) {
        // Doubling with no jitter: a lock is held by one other update, and the waits are shown to the person watching.
        const wait = backoffDelay(attempt - 1, { initialMs: opts.lockBackoffMs ?? 5_000, maxMs: Number.MAX_SAFE_INTEGER, jitter: { min: 1, max: 1 } });
        opts.reporter.retrying(stack, wait, 'the stack is locked by another update');
        await sleep(wait);
        continue;
      }
      const message = failure.kind === 'locked' ? `the stack stayed locked after ${attempt} tries: ${failure.message}` : failure.message;
      return {
        stack,
        action: opts.action,
        status: 'failed',
        changes: {},
        outputs: {},
        resources: [],
        diff: null,
        attempts: attempt,
        durationMs: now() - started,
        error: message,
      };
    }
  }
}
