// The declared services as a pass walks them: each service's policies, the
// regions either controller names and their loop-memory keys. Derived from the
// declarations alone, so it is built once per configuration in force, not once
// per pass (a pass would otherwise rebuild these lists and 2,000 keys each time).
import type { AutoscalePolicy, Declarations, GtmPolicy } from '../config/index.js';

/** The loop memory's key for a service's region: `service/region`. */
export const memoryKey = (service: string, region: string): string => `${service}/${region}`;

/** One declared service as a pass walks it. */
export interface ServiceShape {
  service: string;
  gtm: GtmPolicy | undefined;
  autoscale: AutoscalePolicy | undefined;
  /** Every region either controller names, sorted. */
  regions: string[];
  /** The same regions, to ask whether a pool is one the pass observes. */
  regionSet: ReadonlySet<string>;
  /** `service/region`, the loop memory's key, per region. */
  keys: Map<string, string>;
  /** The autoscale policy's regions, in its order. */
  autoscaleRegions: string[];
  /** The gtm policy's regions, in its order. */
  gtmRegions: string[];
}

// Declarations are never changed in place: a new commit brings new objects.
const shapes = new WeakMap<Declarations, Map<string, ServiceShape>>();

/** Every declared service's shape, by name in sorted order. */
export function shapesOf(decl: Declarations): Map<string, ServiceShape> {
  let out = shapes.get(decl);
  if (out) return out;
  const services = [...new Set([...Object.keys(decl.gtm), ...Object.keys(decl.autoscale)])].sort();
  out = new Map();
  for (const service of services) {
    const gtm = decl.gtm[service];
    const autoscale = decl.autoscale[service];
    const regions = [...new Set([...(gtm?.regions.map((r) => r.name) ?? []), ...Object.keys(autoscale?.regions ?? {})])].sort();
    out.set(service, {
      service,
      gtm,
      autoscale,
      regions,
      regionSet: new Set(regions),
      keys: new Map(regions.map((r) => [r, memoryKey(service, r)])),
      autoscaleRegions: Object.keys(autoscale?.regions ?? {}),
      gtmRegions: gtm?.regions.map((r) => r.name) ?? [],
    });
  }
  shapes.set(decl, out);
  return out;
}

/** The memory key of a region of a shaped service. */
export function keyOf(shape: ServiceShape, region: string): string {
  return shape.keys.get(region) ?? memoryKey(shape.service, region);
}
