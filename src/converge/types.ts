// The converge side's narrow interface to Pulumi: a StackRunner runs one
// action on one stack. The Automation API implementation and an in-memory
// fake both sit behind it, so the orchestration (parallelism, lock retries,
// progress, exit codes) is tested without the engine.

import type { ResourceChange } from './resource-changes.js';

/** What converge can do to a stack. `drift` is a refresh in preview mode: it reads the real state and records nothing. */
export type StackAction = 'preview' | 'up' | 'refresh' | 'destroy' | 'drift';

/** Resource operation counts, e.g. `{ create: 2, same: 5 }`. */
export type ChangeCounts = Record<string, number>;

/** A progress event from a running stack action. */
export type StackEvent =
  | { kind: 'step'; op: string; type: string; name: string; done: boolean }
  | { kind: 'diagnostic'; severity: string; message: string }
  | { kind: 'output'; line: string };

/** What one successful action returned. */
export interface StackRunOutput {
  changes: ChangeCounts;
  outputs: Record<string, unknown>;
  /** The resources it would change (preview), changed (up) or found drifted (drift). */
  resources?: ResourceChange[];
  /** The engine's own rendering of a preview's changes (`pulumi preview --diff`). */
  diff?: string;
}

/** Options of one action. */
export interface RunOptions {
  /** Refresh state from the cloud first. */
  refresh: boolean;
  onEvent: (event: StackEvent) => void;
}

/** Runs Pulumi actions on named stacks. */
export interface StackRunner {
  /** Runs `action` on `stack`; throws a ConvergeError on failure. */
  run(stack: string, action: StackAction, options: RunOptions): Promise<StackRunOutput>;
}

/** Why a stack action failed. */
export type FailureKind = 'locked' | 'failed';

/** A classified failure of a stack action. */
export class ConvergeError extends Error {
  /** Stable code for callers. */
  readonly code = 'XP_ERR_CONVERGE';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'ConvergeError';
  }
}

/** The result of converging one stack. */
export interface StackResult {
  stack: string;
  action: StackAction;
  status: 'succeeded' | 'failed';
  changes: ChangeCounts;
  outputs: Record<string, unknown>;
  /** Per resource: what a preview would change, what an up changed, what drifted. */
  resources: ResourceChange[];
  /** The engine's diff of a preview (`pulumi preview --diff`), else null. */
  diff: string | null;
  /** Tries made (more than 1 when the stack was locked). */
  attempts: number;
  durationMs: number;
  error: string | null;
}
