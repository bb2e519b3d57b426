// What changed between two configurations, as plain data. Pure, so the
// change list a user sees from `xplane sync --once` is table-tested.
import type { Declarations } from '../config/index.js';

/** The four kinds of declaration a repo holds. */
export type ConfigKind = 'gtm' | 'autoscale' | 'region' | 'stack';

/** One declaration added, removed or modified. */
export interface ConfigChange {
  kind: ConfigKind;
  /** The service (gtm, autoscale) or region (region, stack). */
  name: string;
  change: 'added' | 'removed' | 'modified';
}

/** Typed events for the controllers: what changed, naming services or regions. */
export type ConfigEvent =
  | { type: 'gtm'; commit: string; services: string[] }
  | { type: 'autoscale'; commit: string; services: string[] }
  | { type: 'region'; commit: string; regions: string[] }
  | { type: 'stack'; commit: string; regions: string[] };

const SECTIONS: [ConfigKind, keyof Declarations][] = [
  ['gtm', 'gtm'],
  ['autoscale', 'autoscale'],
  ['region', 'regions'],
  ['stack', 'stacks'],
];

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Lists the declarations that differ; with no previous config, everything is added. */
export function diffDeclarations(previous: Declarations | undefined, next: Declarations): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const [kind, section] of SECTIONS) {
    const before: Record<string, unknown> = previous?.[section] ?? {};
    const after: Record<string, unknown> = next[section];
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const name of names) {
      if (!(name in before)) changes.push({ kind, name, change: 'added' });
      else if (!(name in after)) changes.push({ kind, name, change: 'removed' });
      else if (canonical(before[name]) !== canonical(after[name])) changes.push({ kind, name, change: 'modified' });
    }
  }
  return changes;
}

/** Groups changes into one event per kind that changed. */
export function eventsFor(commit: string, changes: ConfigChange[]): ConfigEvent[] {
  const names = (kind: ConfigKind): string[] => changes.filter((c) => c.kind === kind).map((c) => c.name);
  const events: ConfigEvent[] = [];
  if (names('gtm').length > 0) events.push({ type: 'gtm', commit, services: names('gtm') });
  if (names('autoscale').length > 0) events.push({ type: 'autoscale', commit, services: names('autoscale') });
  if (names('region').length > 0) events.push({ type: 'region', commit, regions: names('region') });
  if (names('stack').length > 0) events.push({ type: 'stack', commit, regions: names('stack') });
  return events;
}

/** One line per change, e.g. `~ autoscale svc-plus`. */
export function describeChange(c: ConfigChange): string {
  const mark = c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~';
  return `${mark} ${c.kind} ${c.name}`;
}
