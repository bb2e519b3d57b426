// New YAML text for the values and entries the loop writes. Scalars come from
// yaml's own stringifier so quoting matches what the library would write.
import { Document } from 'yaml';
import type { Pool } from '../config/index.js';

/** A line of a new block, `depth` levels below the map it is inserted into. */
export interface BlockLine {
  depth: number;
  text: string;
}

/** The order the loop writes a pool's owned keys in (contract §3). */
export const POOL_KEYS = ['weight', 'nodes', 'excluded'] as const;

/**
 * A scalar as yaml's default stringifier writes it: plain when it can be,
 * quoted otherwise. `inFlow` also quotes flow indicators (`,[]{}`), which a
 * plain scalar inside `[...]` may not contain.
 */
export function scalarText(value: string | number, inFlow = false): string {
  if (isPlainAnywhere(value)) return String(value);
  // Block scalars (`|-`) and folded lines cannot sit inside one line; a JSON string is a valid YAML double-quoted scalar.
  if (typeof value === 'string' && /[\n\r\t]/.test(value)) return JSON.stringify(value);
  const doc = new Document();
  doc.contents = doc.createNode(inFlow ? [value] : value, { flow: true });
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return inFlow ? text.slice(1, -1) : text;
}

// Node and service names and integer weights, which are nearly all the loop writes, read back as the
// same string or number when written plain, in a flow list or not. yaml's stringifier builds a Document
// per scalar, and a pass writes thousands. Anything else takes the stringifier's path.
const PLAIN_NAME = /^[a-z][a-z0-9-]*$/i;
const CORE_WORDS = /^(true|false|null)$/i;

function isPlainAnywhere(value: string | number): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0);
  return PLAIN_NAME.test(value) && !CORE_WORDS.test(value);
}

/** A flow sequence; `padded` writes `[ a, b ]` for files that space their brackets. */
export function flowSeqText(items: readonly string[], padded = false): string {
  if (items.length === 0) return '[]';
  const inner = items.map((item) => scalarText(item, true)).join(', ');
  return padded ? `[ ${inner} ]` : `[${inner}]`;
}

/** A pool's owned keys in contract order, sequences in flow style like the seed files. */
export function poolBody(pool: Pool): BlockLine[] {
  return [
    { depth: 0, text: `weight: ${scalarText(pool.weight)}` },
    { depth: 0, text: `nodes: ${flowSeqText(pool.nodes)}` },
    { depth: 0, text: `excluded: ${flowSeqText(pool.excluded)}` },
  ];
}

/** A whole pool entry: the service key with its body under it. */
export function poolBlock(service: string, pool: Pool): BlockLine[] {
  return [{ depth: 0, text: `${scalarText(service)}:` }, ...nested(poolBody(pool))];
}

/** Lines moved one level deeper, to sit under a new key. */
export function nested(lines: readonly BlockLine[]): BlockLine[] {
  return lines.map((line) => ({ depth: line.depth + 1, text: line.text }));
}

/** Block lines as text, each ending with `eol`. */
export function blockText(lines: readonly BlockLine[], indent: number, step: number, eol: string): string {
  return lines.map((line) => ' '.repeat(indent + line.depth * step) + line.text + eol).join('');
}
