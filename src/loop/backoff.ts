// Exponential backoff with jitter, one formula for every retry in xplane: the
// pass loop after a failed pass, the Git writer when the remote moved, the
// agent's registration (which lets a server's Retry-After win, agent/backoff.ts).
// Jitter keeps a fleet restarted together from retrying in lockstep.

/** Bounds of a backoff, and how much of each step is random. */
export interface BackoffPolicy {
  /** The first wait, before jitter. */
  initialMs: number;
  /** No wait is longer, jitter included. */
  maxMs: number;
  /** Each wait is the step times a factor drawn between `min` and `max` (default: equal jitter, 0.5–1). */
  jitter?: { min: number; max: number };
}

/** Half the step fixed plus half random: a wait is never near zero, never above the step. */
export const EQUAL_JITTER = { min: 0.5, max: 1 } as const;

/**
 * Wait before retry number `attempt` (0 = first retry), in whole milliseconds: the step doubles from
 * `initialMs` up to `maxMs`, then takes its jitter factor; the result never exceeds `maxMs`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const { min, max } = policy.jitter ?? EQUAL_JITTER;
  const factor = min + (max - min) * Math.min(1, Math.max(0, random()));
  return Math.round(Math.min(policy.maxMs, step * factor));
}
