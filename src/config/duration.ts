// Durations in declarations are strings like `500ms`, `5s`, `1m`, `2h`, so a
// reader never has to guess the unit. One unit per value keeps them easy to
// scan; `90s` says what `1m30s` would.
import type { Millis } from './types.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** What a duration must look like, for error messages. */
export const DURATION_EXPECTED = 'expected a duration like 500ms, 5s, 1m or 2h';

/** Parses `500ms`, `1.5s`, `1m`, `2h` to milliseconds; undefined for anything else, including fractions of a millisecond. */
export function parseDuration(text: string): Millis | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const [, amount, unit] = match;
  const ms = Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  // Float products like 1.1h carry rounding noise; a whole result is what was meant.
  const whole = Math.round(ms);
  return Number.isSafeInteger(whole) && Math.abs(ms - whole) < 1e-6 ? whole : undefined;
}

/** Renders milliseconds in the largest unit that divides them, so `formatDuration(300000)` is `5m`. */
export function formatDuration(ms: Millis): string {
  if (ms === 0) return '0s';
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
