// Error messages end with `got <what the file says>`, rendered from the raw
// YAML value so it matches what the human sees in the file.

const MAX_TEXT = 60;

/** `"high"` for strings, `3` / `true` / `null` as written, `a list`, `a map` (or `an empty ...`). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty map' : 'a map';
  if (typeof value === 'string') {
    // A pasted blob would drown the message; the position says where the rest is.
    return JSON.stringify(value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}...` : value);
  }
  // What YAML leaves is a number or a boolean.
  const scalar = value as number | boolean;
  return String(scalar);
}
