// Applying decisions to pools in memory: what the git writer will write, for
// tests ("apply, recompute → nothing left to do") and for a loop that runs a
// second controller on the first one's result.
import type { Pool } from '../config/index.js';
import type { Decision } from '../decision/index.js';

/** The pools (by region, one service) after the decisions' patches; a patch names only the keys it sets, later ones win. */
export function applyDecisions(pools: Record<string, Pool | undefined>, decisions: Decision[]): Record<string, Pool> {
  const out: Record<string, Pool> = {};
  for (const [region, pool] of Object.entries(pools)) {
    if (pool) out[region] = copy(pool);
  }
  for (const d of decisions) {
    // A patch on a region with no pool creates it; unset keys start empty, as create_pool would.
    const pool = out[d.region] ?? { weight: 0, nodes: [], excluded: [] };
    out[d.region] = {
      weight: d.patch.weight ?? pool.weight,
      nodes: [...(d.patch.nodes ?? pool.nodes)],
      excluded: [...(d.patch.excluded ?? pool.excluded)],
    };
  }
  return out;
}

function copy(pool: Pool): Pool {
  return { weight: pool.weight, nodes: [...pool.nodes], excluded: [...pool.excluded] };
}
