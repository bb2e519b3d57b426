// How a region's effective weight (stacks/Pulumi.<region>.yaml,
// `xplane:pools.<service>.weight`, an integer >= 0 with no upper bound) becomes
// the numbers each DNS provider accepts. Pure arithmetic, so it is table-tested
// on its own.
//
// Route 53 weights one record, not one region: a region with n included nodes
// has n weighted A records, and the region's share of the answers is the sum of
// their weights. So each record gets the region weight split n ways:
//
//   per record = min(255, round(weight / n)), at least 1 when weight > 0
//
// - 255 is Route 53's maximum. A region weight above 255 × n is capped, which
//   flattens the ratio between big regions; keep base weights in 0..255 per
//   node to keep ratios exact.
// - "At least 1": round(1 / 3) is 0, and 0 means something else in Route 53
//   (served only when every non-zero record is unhealthy). A small but non-zero
//   region must keep taking a little traffic, not silently drop out.
// - Weight 0 stays 0: the GTM controller took the region out of rotation; its
//   records stay as Route 53's fail-open last resort (see route53-records.ts).
//
// Cloudflare weights one pool per region in the load balancer's random
// steering, as a fraction in 0..1 relative to the other pools: weight / max.

/** Route 53's largest record weight. */
export const ROUTE53_MAX_WEIGHT = 255;

/** The weight of each of a region's `records` Route 53 records, given the region weight (see the header). */
export function route53RecordWeight(regionWeight: number, records: number): number {
  if (records <= 0 || regionWeight <= 0) return 0;
  return Math.min(ROUTE53_MAX_WEIGHT, Math.max(1, Math.round(regionWeight / records)));
}

/** Cloudflare accepts steering weights in steps of 0.01. */
const CLOUDFLARE_WEIGHT_STEP = 0.01;

/**
 * Random-steering weight per pool: weight / max weight, in steps of 0.01, at
 * least 0.01 when the weight is > 0 (same reason as Route 53's "at least 1").
 * When every weight is 0 every pool gets 1: that mirrors Route 53, which
 * answers with all zero-weight records alike, rather than leaving Cloudflare
 * with a load balancer whose every pool is weighted out.
 */
export function cloudflarePoolWeights(weights: Readonly<Record<string, number>>): Record<string, number> {
  const max = Math.max(0, ...Object.values(weights));
  const out: Record<string, number> = {};
  for (const [pool, weight] of Object.entries(weights)) {
    if (max === 0) out[pool] = 1;
    else if (weight <= 0) out[pool] = 0;
    else out[pool] = Math.max(CLOUDFLARE_WEIGHT_STEP, Math.round(weight / max / CLOUDFLARE_WEIGHT_STEP) * CLOUDFLARE_WEIGHT_STEP);
  }
  // Multiplying by 0.01 leaves float noise (0.33000000000000004); two decimals is what Cloudflare stores.
  for (const pool of Object.keys(out)) out[pool] = Number((out[pool] ?? 0).toFixed(2));
  return out;
}
