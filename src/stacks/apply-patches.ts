// Applying pool patches to a stack file by splicing new value text into the
// original at the syntax tree's ranges (contract §3). Re-serializing with
// `Document.toString()` would re-space comments and flow lists; splicing
// keeps every byte the loop does not own and gives the diff a human would write.
import { isMap, isNode, isScalar, isSeq, type Pair, type YAMLSeq } from 'yaml';
import type { Pool } from '../config/index.js';
import type { PoolPatch } from '../decision/index.js';
import { POOL_KEYS, blockText, flowSeqText, nested, poolBlock, poolBody, scalarText, type BlockLine } from './render.js';
import { afterColon, childSlot, contentEnd, fail, findPair, isEmptyValue, keyIndent, kindOf, poolsSlots, readList, stackOf, startOf } from './stack-file.js';
import type { MapSlot, ParsedStack, StackText } from './stack-file.js';
import { applyEdits, columnOf, lineEndAfter, lineStart, type TextEdit } from './text-edits.js';
import { verifyPatched, type PoolEdit } from './verify-patches.js';

/** The indentation step used when nothing in the file shows one. */
const DEFAULT_STEP = 2;

/**
 * Applies pool patches to a stack file (its text, or its parsed form from
 * parseStack to skip parsing it again), changing only the bytes of the values
 * that change; returns the new text.
 */
export function applyPoolPatches(source: string | ParsedStack | undefined, region: string, patches: Record<string, PoolPatch>): string {
  if (source === undefined) return blockText(configBlock(region, patches), 0, DEFAULT_STEP, '\n');
  const st = stackOf(source);
  const edits = planEdits(st, region, patches);
  if (edits.length === 0) return st.source;
  const result = applyEdits(st.source, edits);
  verifyPatched(st, result, edits, patches);
  return result;
}

/**
 * A pool the loop creates gets all three keys: weight 0 unless the patch says
 * otherwise, because a pool first appears through the autoscaler and must stay
 * out of DNS until the GTM controller weighs it (and the schema requires a weight).
 */
function newPool(patch: PoolPatch): Pool {
  return { weight: patch.weight ?? 0, nodes: patch.nodes ?? [], excluded: patch.excluded ?? [] };
}

function poolsBlock(patches: Record<string, PoolPatch>): BlockLine[] {
  const pools = Object.entries(patches).flatMap(([service, patch]) => poolBlock(service, newPool(patch)));
  return pools.length > 0 ? [{ depth: 0, text: 'xplane:pools:' }, ...nested(pools)] : [{ depth: 0, text: 'xplane:pools: {}' }];
}

// A missing `config` gets the region too: without `xplane:region` the file would not be a stack config at all.
function configBlock(region: string, patches: Record<string, PoolPatch>): BlockLine[] {
  return [{ depth: 0, text: 'config:' }, { depth: 1, text: `xplane:region: ${scalarText(region)}` }, ...nested(poolsBlock(patches))];
}

/** The edits that apply `patches` to a parsed stack file, each tagged with its pool when it stays inside one (exported for the verification tests). */
export function planEdits(st: StackText, region: string, patches: Record<string, PoolPatch>): PoolEdit[] {
  if (Object.keys(patches).length === 0) return [];
  const { root, config, pools } = poolsSlots(st);
  const step = indentStep(st, pools, config);
  if (!config) return appendToMap(st, root, 0, step, configBlock(region, patches));
  if (!pools) return appendToMap(st, config, childIndent(st, config, step), step, poolsBlock(patches));

  const edits: PoolEdit[] = [];
  const created: BlockLine[] = [];
  for (const [service, patch] of Object.entries(patches)) {
    const pool = childSlot(st, pools, service);
    if (!pool) created.push(...poolBlock(service, newPool(patch)));
    else if (!pool.map) edits.push(...appendToMap(st, pool, childIndent(st, pool, step), step, poolBody(newPool(patch))));
    // Tagged with their pool, so verification can re-read just that pool.
    else edits.push(...poolEdits(st, pool, patch, step).map((edit) => ({ ...edit, service })));
  }
  // Planned last, so new pools land after any items appended to the last pool at the same line end.
  if (created.length > 0) edits.push(...appendToMap(st, pools, childIndent(st, pools, step), step, created));
  return edits;
}

/** How far a nested map is indented in this file: from a sibling pool's keys first, then `xplane:pools`, then `config`. */
function indentStep(st: StackText, pools: MapSlot | undefined, config: MapSlot | undefined): number {
  const pairs = [...(pools?.map?.items ?? []), pools?.pair, config?.pair];
  for (const pair of pairs) {
    if (!pair) continue;
    const inner = isMap(pair.value) ? keyIndent(st, pair.value) : undefined;
    if (inner === undefined || !isNode(pair.key) || !pair.key.range) continue;
    const step = inner - columnOf(st.source, pair.key.range[0]);
    if (step > 0) return step;
  }
  return DEFAULT_STEP;
}

/** The indentation for a new key in a slot's map: its existing keys', else one step under its own key. */
function childIndent(st: StackText, slot: MapSlot, step: number): number {
  const existing = keyIndent(st, slot.map);
  if (existing !== undefined) return existing;
  return slot.pair ? columnOf(st.source, startOf(slot.pair.key, 0)) + step : 0;
}

/** An insertion; at the end of a file without a final newline it starts a new line first. */
function insertAt(st: StackText, pos: number, text: string): TextEdit {
  const { source } = st;
  const needsNewline = pos === source.length && source.length > 0 && !source.endsWith('\n');
  return { start: pos, end: pos, text: needsNewline ? st.eol + text : text };
}

/** New entries at the end of a slot's map (or as its first entries when it has no value yet). */
function appendToMap(st: StackText, slot: MapSlot, indent: number, step: number, lines: BlockLine[]): TextEdit[] {
  const { source } = st;
  const text = blockText(lines, indent, step, st.eol);
  const map = slot.map;
  if (map?.flow) {
    if (map.items.length > 0 || !map.range) {
      fail(st, startOf(map, 0), `${slot.label} is a flow map ({...}); write it as a block map so xplane can add entries to it`);
    }
    // `key: {}`: drop the braces and write a block under the key, keeping any comment after them.
    let from = map.range[0];
    while (from > 0 && (source[from - 1] === ' ' || source[from - 1] === '\t')) from--;
    return [{ start: from, end: map.range[1], text: '' }, insertAt(st, lineEndAfter(source, map.range[1]), text)];
  }
  if (map && map.items.length > 0) return [insertAt(st, lineEndAfter(source, contentEnd(map, 0)), text)];
  if (slot.pair) return [insertAt(st, lineEndAfter(source, afterColon(st, slot.pair)), text)];
  return [insertAt(st, source.length, text)];
}

function poolEdits(st: StackText, pool: MapSlot, patch: PoolPatch, step: number): TextEdit[] {
  const edits: TextEdit[] = [];
  const missing: BlockLine[] = [];
  for (const key of POOL_KEYS) {
    const pair = findPair(pool.map, key);
    const label = `${pool.label}.${key}`;
    if (key === 'weight') {
      if (patch.weight === undefined) continue;
      if (pair) edits.push(...weightEdits(st, pair, patch.weight, label));
      else missing.push({ depth: 0, text: `weight: ${scalarText(patch.weight)}` });
      continue;
    }
    const want = patch[key];
    if (want === undefined) continue;
    if (pair) edits.push(...listEdits(st, pair, want, label));
    // A missing list already reads as empty, so writing `[]` would change no value.
    else if (want.length > 0) missing.push({ depth: 0, text: `${key}: ${flowSeqText(want)}` });
  }
  if (missing.length === 0) return edits;

  const owned = POOL_KEYS.map((key) => findPair(pool.map, key)).filter((pair): pair is Pair => pair !== undefined);
  if (owned.length === 0) return [...edits, ...appendToMap(st, pool, childIndent(st, pool, step), step, missing)];
  if (pool.map?.flow) {
    fail(st, startOf(pool.map, 0), `${pool.label} is a flow map ({...}); write it as a block map so xplane can add keys to it`);
  }
  const after = Math.max(...owned.map((pair) => contentEnd(pair.value, afterColon(st, pair))));
  const indent = childIndent(st, pool, step);
  return [...edits, insertAt(st, lineEndAfter(st.source, after), blockText(missing, indent, step, st.eol))];
}

function weightEdits(st: StackText, pair: Pair, want: number, label: string): TextEdit[] {
  const value = pair.value;
  if (isEmptyValue(value)) {
    const at = afterColon(st, pair);
    return [{ start: at, end: at, text: ` ${scalarText(want)}` }];
  }
  // A scalar weight of the wrong type (`"100"`) is simply rewritten; a list or map is a human's mistake to fix.
  if (!isScalar(value) || !value.range) {
    return fail(st, startOf(value, afterColon(st, pair)), `${label} is not a number (got ${kindOf(value)})`);
  }
  if (value.value === want) return [];
  return [{ start: value.range[0], end: value.range[1], text: scalarText(want) }];
}

function listEdits(st: StackText, pair: Pair, want: readonly string[], label: string): TextEdit[] {
  const current = readList(st, pair, label);
  if (current.length === want.length && current.every((item, i) => item === want[i])) return [];
  const value = pair.value;
  if (isEmptyValue(value)) {
    const at = afterColon(st, pair);
    return [{ start: at, end: at, text: ` ${flowSeqText(want)}` }];
  }
  if (!isSeq(value) || !value.range) return fail(st, afterColon(st, pair), `${label} is not a list`);
  if (value.flow) {
    const [start, end] = value.range;
    const padded = /^\[[ \t]+[^\s\]]/.test(st.source.slice(start, end));
    return [{ start, end, text: flowSeqText(want, padded) }];
  }
  return blockSeqEdits(st, pair, value, current, want);
}

interface Span {
  start: number;
  end: number;
}

/** The whole line of a block sequence item, when it is laid out as `<indent>- <value>` on one line. */
function itemSpan(source: string, item: unknown): Span | undefined {
  if (!isNode(item) || !item.range) return undefined;
  let dash = item.range[0] - 1;
  while (dash >= 0 && (source[dash] === ' ' || source[dash] === '\t')) dash--;
  if (source[dash] !== '-') return undefined;
  const start = lineStart(source, dash);
  if (!/^[ \t]*$/.test(source.slice(start, dash))) return undefined;
  return { start, end: lineEndAfter(source, item.range[1]) };
}

/**
 * A block list keeps its layout: removed items lose their line, new items get a
 * line after the last one with the first item's indentation and dash spacing,
 * and comment lines between items stay. The loop only removes and appends; any
 * other change (a reorder) rewrites the item lines in one piece.
 */
function blockSeqEdits(st: StackText, pair: Pair, seq: YAMLSeq, current: string[], want: readonly string[]): TextEdit[] {
  const { source } = st;
  const spans = seq.items.map((item) => itemSpan(source, item));
  const first = spans[0];
  const firstItem: unknown = seq.items[0];
  const prefix =
    first && isNode(firstItem) && firstItem.range ? source.slice(first.start, firstItem.range[0]) : `${' '.repeat(columnOf(source, seq.range?.[0] ?? 0))}- `;
  const render = (items: readonly string[]): string => items.map((item) => prefix + scalarText(item) + st.eol).join('');
  const colon = afterColon(st, pair);
  // An emptied block list becomes `key: []`, since a key with no value reads as null, not as a list.
  const emptied: TextEdit[] = want.length === 0 ? [{ start: colon, end: colon, text: ' []' }] : [];

  const kept = current.filter((item) => want.includes(item));
  const lines = spans.filter((span): span is Span => span !== undefined);
  const last = lines.at(-1);
  if (last && lines.length === spans.length && kept.every((item, i) => want[i] === item)) {
    const removed = lines.filter((_, i) => !want.includes(current[i] ?? '')).map((span) => ({ ...span, text: '' }));
    const appended = want.slice(kept.length);
    const added = appended.length > 0 ? [insertAt(st, last.end, render(appended))] : [];
    return [...emptied, ...removed, ...added];
  }
  const start = lineStart(source, seq.range?.[0] ?? colon);
  const end = lineEndAfter(source, contentEnd(seq, colon));
  return [...emptied, { start, end, text: render(want) }];
}
