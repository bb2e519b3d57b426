// Traces written the way a person writes one by hand, and the seed example's
// declarations with the policy values a test states, for the simulate folder's tests.
import type { AutoscaleGlobal, AutoscaleRegion, Declarations } from '../config/index.js';
import { seedDeclarations } from '../testing/index.js';
import { parseTrace, type TraceRow } from '../trace/index.js';

/** 2026-03-02T08:00:00Z, where the tests' traces start. */
export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

/** The seed example (svc-plus in jp and sg) with jp's rule and the global block changed as given. */
export async function declarations(jp: Partial<AutoscaleRegion> = {}, global: Partial<AutoscaleGlobal> = {}): Promise<Declarations> {
  const decl = structuredClone(await seedDeclarations());
  const policy = decl.autoscale['svc-plus'];
  if (!policy?.regions.jp) throw new Error('the seed example has no svc-plus autoscale policy for jp');
  policy.regions.jp = { ...policy.regions.jp, ...jp };
  policy.global = { ...policy.global, ...global };
  return decl;
}

/**
 * A trace every 10 s for `seconds`: jp's CPU demand is `jp(t)` (t in seconds from T0) on one
 * active node, sg's a steady 0.4 on one; weights 100 and 10.
 */
export function traceText(seconds: number, jp: (t: number) => number): string {
  const lines = ['time,service,region,cpu_demand,active,weight'];
  for (let t = 0; t <= seconds; t += 10) {
    const at = new Date(T0 + t * 1000).toISOString();
    lines.push(`${at},svc-plus,jp,${jp(t)},1,100`, `${at},svc-plus,sg,0.4,1,10`);
  }
  return `${lines.join('\n')}\n`;
}

/** traceText parsed as `trace.csv`. */
export function trace(seconds: number, jp: (t: number) => number): TraceRow[] {
  return parseTrace(traceText(seconds, jp), 'trace.csv');
}

/** The step of issue 19: jp's CPU from 0.5 to 0.9 a minute in, for ten minutes. */
export const step = (t: number): number => (t < 60 ? 0.5 : 0.9);

/** A ramp: jp's demand grows by 0.8 nodes every four minutes after the step. */
export const ramp = (t: number): number => (t < 60 ? 0.5 : t < 300 ? 0.9 : t < 540 ? 1.6 : t < 780 ? 2.4 : 3.2);
