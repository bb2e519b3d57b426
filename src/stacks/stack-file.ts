// A stack file parsed once and kept beside its text: the loop reads values
// from the syntax tree and edits the text at the tree's ranges. Anything it
// cannot read with certainty is an error at a line:col, because the writer
// must refuse to write a file it does not understand rather than guess.
import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLMap } from 'yaml';
import type { Pool } from '../config/index.js';
import { columnOf } from './text-edits.js';

/** A stack file that cannot be read or edited safely; the message starts with `line:col`. */
export class StackFileError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    problem: string,
  ) {
    super(`${line}:${col}: ${problem}`);
    this.name = 'StackFileError';
  }
}

/** A stack file's text with its syntax tree. */
export interface StackText {
  source: string;
  /** `\r\n` when the file uses it, so inserted lines match the rest. */
  eol: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/**
 * A key whose value is (or will become) a map: `map` is undefined when the
 * key has no value yet (`xplane:pools:` with nothing under it). The root
 * document is a slot without a key.
 */
export interface MapSlot {
  pair: Pair | undefined;
  map: YAMLMap | undefined;
  /** The dotted path for messages, e.g. `config.xplane:pools.svc-plus`. */
  label: string;
}

/**
 * A stack file parsed once: readPools and applyPoolPatches take it in place of
 * the text, so a file that has not changed is not parsed again. Nothing
 * modifies its tree, which is what makes sharing it safe.
 */
export type ParsedStack = Readonly<StackText>;

/** Parses a stack file for readPools and applyPoolPatches; throws a StackFileError on any YAML error. */
export function parseStack(source: string): ParsedStack {
  return parseStackText(source);
}

/** The parsed form of either input: text is parsed now, a parsed stack is used as it is. */
export function stackOf(source: string | ParsedStack): StackText {
  return typeof source === 'string' ? parseStackText(source) : source;
}

/** Parses stack file text; throws a StackFileError on any YAML error. */
export function parseStackText(source: string): StackText {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const st: StackText = { source, eol: source.includes('\r\n') ? '\r\n' : '\n', doc, lines };
  const error = doc.errors[0];
  if (error) {
    // Some messages (multiple documents) carry a source excerpt after the first line.
    fail(st, error.pos[0], `not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return st;
}

/** Throws a StackFileError positioned at `offset`. */
export function fail(st: StackText, offset: number, problem: string): never {
  const { line, col } = st.lines.linePos(offset);
  throw new StackFileError(line, col, problem);
}

/** Where a node's text starts, or `fallback` for a node the parser made up. */
export function startOf(node: unknown, fallback: number): number {
  return isNode(node) && node.range ? node.range[0] : fallback;
}

/** True for `key:` with nothing after it, which the loop fills in like a missing map or list. */
export function isEmptyValue(value: unknown): boolean {
  return value == null || (isScalar(value) && value.value == null && value.range?.[0] === value.range?.[1]);
}

/**
 * Where the last piece of content of a value ends, before its inline comment.
 * Block collections are measured by their last item, because their own range
 * runs on past the newline (and any trailing comment lines).
 */
export function contentEnd(node: unknown, fallback: number): number {
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const last: unknown = node.items.at(-1);
    if (isPair(last)) return contentEnd(last.value, startOf(last.key, fallback) + keyLength(last));
    if (last !== undefined) return contentEnd(last, fallback);
  }
  return isNode(node) && node.range ? node.range[1] : fallback;
}

function keyLength(pair: Pair): number {
  return isNode(pair.key) && pair.key.range ? pair.key.range[1] - pair.key.range[0] : 0;
}

/** The offset just past the `:` that ends a pair's key. */
export function afterColon(st: StackText, pair: Pair): number {
  const keyEnd = isNode(pair.key) && pair.key.range ? pair.key.range[1] : 0;
  const colon = st.source.indexOf(':', keyEnd);
  return colon === -1 ? keyEnd : colon + 1;
}

/** The pair under `key` in a map, matching plain or quoted string keys. */
export function findPair(map: YAMLMap | undefined, key: string): Pair | undefined {
  return map?.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

/** The indentation of a block map's keys; undefined for an empty or flow map. */
export function keyIndent(st: StackText, map: YAMLMap | undefined): number | undefined {
  const first = map?.items[0];
  if (!map || map.flow || !first || !isNode(first.key) || !first.key.range) return undefined;
  return columnOf(st.source, first.key.range[0]);
}

/** The slot of a root document; throws when the document is something other than a map. */
export function rootSlot(st: StackText): MapSlot {
  const root = st.doc.contents;
  if (root == null) return { pair: undefined, map: undefined, label: 'the document' };
  if (!isMap(root)) fail(st, startOf(root, 0), `the document is not a map (got ${kindOf(root)})`);
  return { pair: undefined, map: root, label: 'the document' };
}

/** The slot under `key` of `parent`, or undefined when the key is missing; throws when its value is not a map. */
export function childSlot(st: StackText, parent: MapSlot, key: string): MapSlot | undefined {
  const pair = findPair(parent.map, key);
  if (!pair) return undefined;
  const label = parent.pair ? `${parent.label}.${key}` : key;
  if (isEmptyValue(pair.value)) return { pair, map: undefined, label };
  if (!isMap(pair.value)) {
    fail(st, startOf(pair.value, startOf(pair.key, 0)), `${label} is not a map (got ${kindOf(pair.value)})`);
  }
  return { pair, map: pair.value, label };
}

/** `config` → `xplane:pools`, as far as they exist. */
export function poolsSlots(st: StackText): { root: MapSlot; config?: MapSlot; pools?: MapSlot } {
  const root = rootSlot(st);
  const config = childSlot(st, root, 'config');
  if (!config) return { root };
  const pools = childSlot(st, config, 'xplane:pools');
  return pools ? { root, config, pools } : { root, config };
}

/** A human word for a node's kind, for messages. */
export function kindOf(node: unknown): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value == null ? 'null' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'an alias or unknown node';
}

/** The strings of a list value; `nodes:` with no value reads as an empty list. */
export function readList(st: StackText, pair: Pair, label: string): string[] {
  if (isEmptyValue(pair.value)) return [];
  if (!isSeq(pair.value)) fail(st, startOf(pair.value, afterColon(st, pair)), `${label} is not a list (got ${kindOf(pair.value)})`);
  return pair.value.items.map((item) => {
    if (!isScalar(item) || typeof item.value !== 'string') {
      fail(st, startOf(item, startOf(pair.value, 0)), `${label} has an item that is not a string (got ${kindOf(item)})`);
    }
    return item.value;
  });
}

/** The weight of a pool. */
export function readWeight(st: StackText, pair: Pair, label: string): number {
  if (!isScalar(pair.value) || typeof pair.value.value !== 'number') {
    fail(st, startOf(pair.value, afterColon(st, pair)), `${label} is not a number (got ${kindOf(pair.value)})`);
  }
  return pair.value.value;
}

/** One pool's owned keys; a missing list is empty, a missing weight is an error (the schema requires it). */
export function readPool(st: StackText, slot: MapSlot): Pool {
  const weight = findPair(slot.map, 'weight');
  if (!weight) fail(st, startOf(slot.pair?.key, 0), `${slot.label} has no weight`);
  const nodes = findPair(slot.map, 'nodes');
  const excluded = findPair(slot.map, 'excluded');
  return {
    weight: readWeight(st, weight, `${slot.label}.weight`),
    nodes: nodes ? readList(st, nodes, `${slot.label}.nodes`) : [],
    excluded: excluded ? readList(st, excluded, `${slot.label}.excluded`) : [],
  };
}
