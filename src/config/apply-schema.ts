// Runs a zod schema over a parsed YAML file and turns zod's issues into
// `file:line:col path: message` issues. The schemas carry the "expected ..."
// text; this adds what was found, read from the raw YAML value.
import type { z } from 'zod';
import { describeValue } from './describe-value.js';
import { valueAt, type KeyPath } from './key-path.js';
import { KEY_ISSUE } from './schemas.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';

/** The validated value when the file is valid, and every issue found in it. */
export interface Applied<T> {
  value: T | undefined;
  issues: ConfigIssue[];
}

/** Validates a file that parsed as YAML against `schema`. */
export function applySchema<T>(source: YamlSource, schema: z.ZodType<T>): Applied<T> {
  // An empty file has no map to point at; treating it as {} reports each required key at 1:1.
  const input = source.value ?? {};
  const result = schema.safeParse(input);
  if (result.success) return { value: result.data, issues: [] };
  return { value: undefined, issues: result.error.issues.flatMap((issue) => toConfigIssues(source, input, issue)) };
}

function toConfigIssues(source: YamlSource, input: unknown, issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => source.issue([...path, key], 'key', issue.message));
  }
  if (issue.code === 'custom' && issue.params?.[KEY_ISSUE] === true) {
    return [source.issue(path, 'key', issue.message)];
  }
  if (isMissingKey(input, path)) return [source.issue(path, 'parent', 'required key is missing')];
  const found = valueAt(input, path);
  const got = found.found ? describeValue(found.value) : 'nothing';
  return [source.issue(path, 'value', `${issue.message}, got ${got}`)];
}

function isMissingKey(input: unknown, path: KeyPath): boolean {
  const key = path[path.length - 1];
  if (typeof key !== 'string') return false;
  const parent = valueAt(input, path.slice(0, -1));
  return parent.found && typeof parent.value === 'object' && parent.value !== null && !Object.hasOwn(parent.value, key);
}
