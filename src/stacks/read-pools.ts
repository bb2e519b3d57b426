// Reading the pools back from a stack file: the writer compares them with a
// decision to know whether anything changes, and override detection compares
// them with what the loop last wrote.
import { isScalar } from 'yaml';
import type { Pool } from '../config/index.js';
import { childSlot, fail, poolsSlots, readPool, stackOf, startOf, type ParsedStack, type StackText } from './stack-file.js';

// Pools read from a parsed stack, which never changes: the reconciler asks again on every pass.
const readBefore = new WeakMap<ParsedStack, Record<string, Pool>>();

/**
 * Reads the pools (service → {weight, nodes, excluded}) from a stack file's
 * text or parsed form, for the writer and for override detection. Each call
 * returns new objects, so a caller may change them without touching anyone else's.
 */
export function readPools(source: string | ParsedStack): Record<string, Pool> {
  if (typeof source === 'string') return walk(stackOf(source));
  let pools = readBefore.get(source);
  if (!pools) readBefore.set(source, (pools = walk(source)));
  const out: Record<string, Pool> = {};
  for (const [service, pool] of Object.entries(pools)) out[service] = { weight: pool.weight, nodes: [...pool.nodes], excluded: [...pool.excluded] };
  return out;
}

function walk(st: StackText): Record<string, Pool> {
  const { pools } = poolsSlots(st);
  const out: Record<string, Pool> = {};
  if (!pools?.map) return out;
  for (const pair of pools.map.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
      fail(st, startOf(pair.key, 0), `${pools.label} has a key that is not a service name`);
    }
    const service = pair.key.value;
    const slot = childSlot(st, pools, service);
    if (slot) out[service] = readPool(st, slot);
  }
  return out;
}
