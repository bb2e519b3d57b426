// Retry timing for registration: the shared exponential backoff with equal
// jitter (src/loop/backoff.ts) so that a fleet of agents restarted together
// does not hit the server in lockstep, and the server's own Retry-After wins
// when it gives one.
import type { BackoffPolicy } from '../loop/index.js';

export { backoffDelay, type BackoffPolicy } from '../loop/index.js';

/** The agent's default: 1 s doubling up to 30 s, half of each step random. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000 };

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
