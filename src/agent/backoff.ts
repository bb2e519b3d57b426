// Retry timing for registration: exponential with jitter so that a fleet of
// agents restarted together does not hit the server in lockstep, and the
// server's own Retry-After wins when it gives one.

/** Bounds of the registration backoff. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** The agent's default: 1 s doubling up to 30 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000 };

/**
 * Wait before retry number `attempt` (0 = first retry): half the exponential
 * step fixed plus half random ("equal jitter"), so a wait is never near zero.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(step / 2 + (step / 2) * Math.min(1, Math.max(0, random())));
}

/** Longest Retry-After honoured, so a garbled header cannot park the agent for days. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
