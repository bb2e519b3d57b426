// A YAML file kept together with its syntax tree, so a problem found later in
// the plain JS value (by a schema or a cross-file rule) can still be pointed
// at the line and column a human has to edit.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { keyPathText } from './key-path.js';
import type { KeyPath } from './key-path.js';
import type { ConfigIssue, SourceFile } from './types.js';

/**
 * Which node an issue points at: the `value` for a wrong type or range, the
 * `key` for an unknown key, the `parent` map for a missing key.
 */
export type Anchor = 'value' | 'key' | 'parent';

/** A 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file that can position a key path. */
export interface YamlSource {
  file: string;
  /** The plain JS value; undefined when the file has syntax errors. */
  value: unknown;
  /** Syntax errors and duplicate keys, at the yaml library's own positions. */
  issues: ConfigIssue[];
  /** Where the node for `path` starts; falls back to the nearest node that exists, then 1:1. */
  position(path: KeyPath, at: Anchor): Position;
  /** An issue about `path`, positioned at its `at` node. */
  issue(path: KeyPath, at: Anchor, message: string): ConfigIssue;
}

const FILE_START: Position = { line: 1, col: 1 };

/** Parses YAML text; never throws, every problem becomes an issue. */
export function parseYamlSource(source: SourceFile): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined): Position => (offset === undefined ? FILE_START : lines.linePos(offset));
  const fileIssue = (pos: Position, message: string): ConfigIssue => ({ file: source.path, ...pos, path: '', message });

  const issues = doc.errors.map((e) => fileIssue(at(e.pos[0]), e.message));
  let value: unknown;
  if (issues.length === 0) {
    try {
      value = doc.toJS();
    } catch (e) {
      // Unresolved aliases and alias bombs are only found while building the value.
      issues.push(fileIssue(FILE_START, e instanceof Error ? e.message : String(e)));
    }
  }
  const located: YamlSource = {
    file: source.path,
    value,
    issues,
    issue: (path, anchor, message) => ({
      file: source.path,
      ...located.position(path, anchor),
      path: keyPathText(path),
      message,
    }),
    position(path, anchor) {
      const steps = walk(doc, path);
      const target = anchor === 'parent' ? steps.slice(0, path.length) : steps;
      const last = target[target.length - 1];
      if (anchor === 'key' && target.length === path.length + 1 && last?.key) return at(last.key.range?.[0]);
      // Not every path exists (a missing key, a value the schema defaulted): point at the deepest node that does.
      for (let i = target.length - 1; i >= 0; i--) {
        const node = target[i]?.node;
        if (node?.range) return at(node.range[0]);
      }
      return FILE_START;
    },
  };
  return located;
}

interface Step {
  node: YamlNode | null;
  key?: YamlNode;
}

/** The nodes along `path`, starting with the document root; stops where the path leaves the tree. */
function walk(doc: Document, path: KeyPath): Step[] {
  const steps: Step[] = [{ node: resolve(doc, doc.contents) }];
  for (const segment of path) {
    const parent = steps[steps.length - 1]?.node;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      steps.push({ node: resolve(doc, asNode(pair.value)), key: asNode(pair.key) ?? undefined });
    } else if (isSeq(parent) && typeof segment === 'number') {
      const item = parent.items[segment];
      if (item === undefined) break;
      steps.push({ node: resolve(doc, asNode(item)) });
    } else {
      break;
    }
  }
  return steps;
}

function asNode(value: unknown): YamlNode | null {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value) ? value : null;
}

/** Follows an alias to its anchored node, so paths through `*ref` still find a position. */
function resolve(doc: Document, node: unknown): YamlNode | null {
  if (isAlias(node)) return asNode(node.resolve(doc)) ?? node;
  return asNode(node);
}
