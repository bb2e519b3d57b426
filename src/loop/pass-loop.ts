// A level-triggered loop: one pass at a time, a pass every interval, sooner
// when something triggers it (but never closer than a minimum gap), and
// exponential backoff with jitter after errors. Sync and both controllers
// run on it, so they share one set of timing rules.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import { backoffDelay } from './backoff.js';

/**
 * What a pass tells the loop: done (the next pass comes at the interval, or sooner on a trigger),
 * or an error (the next one comes after a backoff). There is no `requeue(after)`: no pass ever
 * asked for one, and triggers already bring the next pass forward.
 */
export type PassResult = { kind: 'done' } | { kind: 'error'; error: unknown };

/** A pass that finished with nothing more to do. */
export const done: PassResult = { kind: 'done' };

/** After a failed pass the wait is the interval × 2^(failures−1), capped, with ±20 % jitter. */
const PASS_JITTER = { min: 0.8, max: 1.2 } as const;

/** Options for a PassLoop. */
export interface PassLoopOptions {
  name: string;
  intervalMs: number;
  /** Minimum time between the starts of two passes (default: none). */
  minGapMs?: number;
  /** Longest wait after repeated errors (default: max(interval, 5 min)). */
  maxBackoffMs?: number;
  pass: () => Promise<PassResult>;
  log: Logger;
  /** Source of randomness for jitter, replaceable in tests. */
  random?: () => number;
}

/** Runs one pass at a time on a schedule; see the file comment. */
export class PassLoop {
  private stopped = true;
  private wake: (() => void) | null = null;
  private pending = false;
  private failures = 0;
  private lastStart = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: PassLoopOptions) {}

  /** Consecutive failed passes so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Starts the loop; the first pass runs at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pending = true;
    this.loopDone = this.run();
  }

  /** Asks for a pass soon; several triggers during a pass cause one more pass. */
  trigger(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Stops the loop and waits for a running pass to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
  }

  private async run(): Promise<void> {
    let delay = 0;
    while (!this.stopped) {
      if (this.pending) {
        const gap = (this.opts.minGapMs ?? 0) - (Date.now() - this.lastStart);
        delay = Math.max(0, Math.min(delay, gap));
      }
      if (delay > 0) await this.sleep(delay);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() sets it while the sleep above is pending
      if (this.stopped) break;
      if (this.pending) {
        // A trigger may have arrived while sleeping; respect the minimum gap.
        const gap = (this.opts.minGapMs ?? 0) - (Date.now() - this.lastStart);
        if (gap > 0) await this.sleep(gap);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() sets it while the sleep above is pending
        if (this.stopped) break;
      }
      this.pending = false;
      this.lastStart = Date.now();
      delay = await this.runPass();
    }
  }

  private async runPass(): Promise<number> {
    let result: PassResult;
    try {
      result = await this.opts.pass();
    } catch (error) {
      result = { kind: 'error', error };
    }
    if (result.kind === 'error') {
      this.failures += 1;
      const maxMs = this.opts.maxBackoffMs ?? Math.max(this.opts.intervalMs, 300_000);
      const wait = backoffDelay(this.failures - 1, { initialMs: this.opts.intervalMs, maxMs, jitter: PASS_JITTER }, this.opts.random);
      this.opts.log.warn(
        { loop: this.opts.name, failures: this.failures, retryInMs: wait, err: errorText(result.error) },
        `${this.opts.name}: pass failed, retrying in ${wait} ms`,
      );
      return wait;
    }
    this.failures = 0;
    return this.opts.intervalMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

/**
 * A PassLoop made on first start: the start / trigger / stop face that sync,
 * the reconciler and inline converge each show, in one place.
 */
export class LoopSlot {
  private loop: PassLoop | null = null;

  constructor(private readonly options: Omit<PassLoopOptions, 'intervalMs'>) {}

  /** Starts passes every `intervalMs`; a second start is a no-op. */
  start(intervalMs: number): void {
    if (this.loop) return;
    this.loop = new PassLoop({ ...this.options, intervalMs });
    this.loop.start();
  }

  /** Asks for a pass soon. */
  trigger(): void {
    this.loop?.trigger();
  }

  /** Stops after the running pass. */
  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
  }
}
