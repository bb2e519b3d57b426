// Reading the pools back from a stack file: the writer compares them with a
// decision to know whether anything changes, and override detection compares
// them with what the loop last wrote.
import { isScalar } from 'yaml';
import type { Pool } from '../config/index.js';
import { childSlot, fail, parseStackText, poolsSlots, readPool, startOf } from './stack-file.js';

/** Reads the pools (service → {weight, nodes, excluded}) from a stack file's text, for the writer and for override detection. */
export function readPools(source: string): Record<string, Pool> {
  const st = parseStackText(source);
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
