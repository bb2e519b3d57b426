// Times as the operator commands print them: a UTC clock, and how long ago.

/** `2026-11-22 00:39:31Z` from an ISO 8601 time. */
export function clockText(iso: string): string {
  const text = new Date(iso).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 19)}Z`;
}

/** `12s ago`, `5m ago`, `in 28m`; `never` for null. */
export function agoText(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  return seconds < 0 ? `in ${spanText(-seconds)}` : `${spanText(seconds)} ago`;
}

function spanText(s: number): string {
  if (s < 90) return `${s}s`;
  if (s < 5_400) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3_600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
