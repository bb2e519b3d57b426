// The stop of a control plane: each part registers how it stops as it starts,
// and stopping runs the steps in reverse, each whatever the last one did.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';

/** Stop steps, run last-in first-out. */
export class ShutdownSteps {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor(private readonly log: Logger) {}

  /** Adds the step that undoes what was just started. */
  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** Runs every step, newest first; a failed step is logged and the next one runs. */
  async run(): Promise<void> {
    for (const stop of this.steps.reverse()) {
      try {
        await stop();
      } catch (err) {
        this.log.error({ err: errorText(err) }, 'shutdown step failed');
      }
    }
  }
}
