// Reading an edited stack file back before anyone commits it: a planner bug
// must fail here, not land as a file that says something else. Re-parsing a
// whole file costs as much as the edit itself, so when every edit stays inside
// existing pools, only those pools' lines are parsed again, on their own; the
// rest of the file is byte for byte what parsed cleanly before. Anything that
// check cannot vouch for goes to the whole-file check, which decides.
import { errorText } from '../errors.js';
import { isNode, type YAMLMap } from 'yaml';
import type { PoolPatch } from '../decision/index.js';
import { childSlot, contentEnd, findPair, parseStackText, poolsSlots, readList, readWeight, rootSlot, type MapSlot, type StackText } from './stack-file.js';
import { lineEndAfter, lineStart, type TextEdit } from './text-edits.js';

/** An edit with the pool it was planned for; no `service` means it changes the file's structure (new pool, new key path). */
export interface PoolEdit extends TextEdit {
  service?: string;
}

/** Throws unless `result` (the edits applied to `before`) parses and holds every patched value. */
export function verifyPatched(before: StackText, result: string, edits: readonly PoolEdit[], patches: Record<string, PoolPatch>): void {
  if (verifiedInPlace(before, result, edits, patches)) return;
  verifyWhole(result, patches);
}

/** Parses the whole edited file and checks every patched value. */
export function verifyWhole(result: string, patches: Record<string, PoolPatch>): void {
  let st: StackText;
  try {
    st = parseStackText(result);
  } catch (e) {
    throw new Error(`internal: the edited stack file does not parse (${errorText(e)})`, { cause: e });
  }
  const { pools } = poolsSlots(st);
  for (const [service, patch] of Object.entries(patches)) {
    const pool = pools && childSlot(st, pools, service);
    checkPool(st, pool?.map, poolLabel(pools, service), service, patch);
  }
}

/** One existing pool's lines: its key line, its body, and the blank or comment lines after it. */
interface Fragment {
  service: string;
  /** Start of the key line. */
  start: number;
  /** Just past the key line: the first offset an edit may touch. */
  body: number;
  /** Start of the next line that is neither blank nor a comment (or the end of the file). */
  end: number;
  indent: number;
}

/**
 * True when every edit lies inside an existing block-map pool and the runs of
 * edited pools, cut out of the result and put together, parse on their own as
 * exactly those pools with the patched values. Why that is enough: the text before and after
 * the pools is unchanged, each run starts at a key line that is unchanged and
 * ends where an unchanged line at the pools' indentation (or less) starts, and
 * every line in between is deeper than the pool keys, so the run cannot open
 * or close anything around it. Anchors (which reach across the file) and
 * `%` directives (which change how scalars read) are left to the whole-file check.
 * Never throws: false means "not vouched for", not "wrong".
 */
export function verifiedInPlace(before: StackText, result: string, edits: readonly PoolEdit[], patches: Record<string, PoolPatch>): boolean {
  try {
    return inPlace(before, result, edits, patches);
  } catch {
    return false;
  }
}

function inPlace(st: StackText, result: string, edits: readonly PoolEdit[], patches: Record<string, PoolPatch>): boolean {
  const { source } = st;
  if (/^%/m.test(source)) return false;
  const { pools } = poolsSlots(st);
  if (!pools?.map || pools.map.flow) return false;
  const byService = new Map<string, PoolEdit[]>();
  for (const edit of edits) {
    if (edit.service === undefined) return false;
    const list = byService.get(edit.service) ?? [];
    list.push(edit);
    byService.set(edit.service, list);
  }
  const fragments: Fragment[] = [];
  for (const [service, list] of byService) {
    const slot = childSlot(st, pools, service);
    const fragment = slot && fragmentOf(st, slot, service);
    if (!fragment) return false;
    if (list.some((e) => e.start < fragment.body || e.end > fragment.end)) return false;
    fragments.push(fragment);
  }
  // A patched pool without edits already held the patched values: check them where they were read.
  for (const [service, patch] of Object.entries(patches)) {
    if (!byService.has(service)) checkPool(st, childSlot(st, pools, service)?.map, poolLabel(pools, service), service, patch);
  }

  // Where an offset of the source lands in the result: edits ending at or before it moved it.
  // An insertion at a fragment's end belongs to that fragment (it was planned for that pool).
  const byEnd = [...edits].sort((a, b) => a.end - b.end);
  const shifted = (offset: number): number => {
    let at = offset;
    for (const e of byEnd) {
      if (e.end > offset) break;
      at += e.text.length - (e.end - e.start);
    }
    return at;
  };
  if (shifted(source.length) !== result.length) return false;

  fragments.sort((a, b) => a.start - b.start);
  const runs: Fragment[][] = [];
  for (const f of fragments) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && last.end === f.start) run.push(f);
    else runs.push([f]);
  }
  const texts: string[] = [];
  for (const run of runs) {
    const first = run[0];
    const last = run.at(-1);
    if (!first || !last) return false;
    for (const f of run) {
      // The key line is the anchor of the whole argument: it must be untouched and still start a line,
      // and the fragment must still end where a line starts (an edit could glue it to the next line).
      const from = shifted(f.start);
      const to = shifted(f.end);
      if (result.slice(from, from + (f.body - f.start)) !== source.slice(f.start, f.body)) return false;
      if (!startsLine(result, from) || !startsLine(result, to)) return false;
      if (!deeperThan(result.slice(from, to), f.indent)) return false;
    }
    const was = source.slice(first.start, last.end);
    const now = result.slice(shifted(first.start), shifted(last.end));
    if (was.includes('&') || now.includes('&')) return false;
    texts.push(now);
  }
  // One parse for all runs: each run is closed (its lines deeper than the pool keys, ending where a line
  // starts), so the next run's key line ends it exactly as the unchanged pool after it does in the file.
  const fst = parseStackText(texts.join(''));
  const root = rootSlot(fst);
  if (!root.map || root.map.flow || root.map.items.length !== fragments.length) return false;
  for (const f of fragments) {
    const slot = childSlot(fst, root, f.service);
    const patch = patches[f.service];
    if (!slot?.map || !patch) return false;
    checkPool(fst, slot.map, poolLabel(pools, f.service), f.service, patch);
  }
  return true;
}

function fragmentOf(st: StackText, slot: MapSlot, service: string): Fragment | undefined {
  const { source } = st;
  const map = slot.map;
  const key = slot.pair?.key;
  if (!map || map.flow || !isNode(key) || !key.range) return undefined;
  const keyStart = key.range[0];
  const start = lineStart(source, keyStart);
  if (!/^ *$/.test(source.slice(start, keyStart))) return undefined;
  const indent = keyStart - start;
  const body = lineEndAfter(source, keyStart);
  let end = lineEndAfter(source, contentEnd(map, body));
  if (end < body) return undefined;
  while (end < source.length) {
    const next = lineEndAfter(source, end + 1);
    if (!/^[ \t]*(#[^\n]*)?\r?\n?$/.test(source.slice(end, next))) break;
    end = next;
  }
  if (end < source.length && leadingSpaces(source, end) > indent) return undefined;
  return { service, start, body, end, indent };
}

function startsLine(text: string, offset: number): boolean {
  return offset === 0 || offset === text.length || text[offset - 1] === '\n';
}

/** Every line after the first (the key line) is blank, a comment, or indented deeper than `indent`. */
function deeperThan(text: string, indent: number): boolean {
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl === -1 ? text.length : nl);
    if (!/^[ \t]*(#.*)?\r?$/.test(line) && leadingSpaces(line, 0) <= indent) return false;
    at = nl + 1;
  }
  return true;
}

function leadingSpaces(text: string, from: number): number {
  let n = 0;
  while (text[from + n] === ' ') n += 1;
  return n;
}

function poolLabel(pools: MapSlot | undefined, service: string): string {
  return `${pools?.label ?? 'xplane:pools'}.${service}`;
}

/** Throws unless the pool map holds the patched weight and lists. */
function checkPool(st: StackText, map: YAMLMap | undefined, label: string, service: string, patch: PoolPatch): void {
  const check = (key: string, ok: (pair: ReturnType<typeof findPair>) => boolean): void => {
    if (!ok(findPair(map, key))) throw new Error(`internal: editing ${service}.${key} did not give the patched value`);
  };
  if (patch.weight !== undefined) check('weight', (p) => p !== undefined && readWeight(st, p, label) === patch.weight);
  for (const key of ['nodes', 'excluded'] as const) {
    const want = patch[key];
    if (want === undefined) continue;
    check(key, (p) => {
      const got = p ? readList(st, p, label) : [];
      return got.length === want.length && got.every((item, i) => item === want[i]);
    });
  }
}
