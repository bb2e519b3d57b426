// Key paths name a place in a declaration the same way in code, in error
// messages and in the YAML tree: map keys and list indexes from the root.

/** A key path into a YAML value: map keys and list indexes. */
export type KeyPath = readonly (string | number)[];

/**
 * Renders a path as people write it: `regions[0].weight`, `regions.jp.scale_up_cpu`.
 * A key that is empty or would read as more than one segment is quoted: `labels."a.b"`, `""`.
 */
export function keyPathText(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = /^[^\s.[\]"]+$/.test(segment) ? segment : JSON.stringify(segment);
      text += text === '' ? key : `.${key}`;
    }
  }
  return text;
}

/** What a plain value holds at `path`; `found: false` when a key or index is absent. */
export function valueAt(root: unknown, path: KeyPath): { found: true; value: unknown } | { found: false } {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return { found: false };
    value = (value as Record<string | number, unknown>)[segment];
  }
  return { found: true, value };
}
