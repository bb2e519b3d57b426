// What the engine says changes, per resource: from the step events of a
// preview (what an `up` would do) or of a refresh preview (what changed
// outside Pulumi: drift). A refresh's events carry no list of changed keys, so
// the changes are the leaves that differ between the state Pulumi recorded and
// what it read back, compared here; a preview's between old and new inputs.
// Pure: the runner feeds it the engine's metadata.

/** One property that differs: its path (`records[0].weight`) and the two values (absent on one side when added or removed). */
export interface PropertyChange {
  path: string;
  /** Before: the recorded state (drift) or the current inputs (preview). */
  old?: unknown;
  /** After: the real state (drift) or the planned inputs (preview). */
  new?: unknown;
}

/** One resource the engine would change (preview) or found changed (drift). */
export interface ResourceChange {
  /** The engine's operation: create, update, delete, replace, ... For drift: update (differs) or delete (gone). */
  op: string;
  urn: string;
  type: string;
  name: string;
  /** The properties that differ; empty for create and delete. */
  properties: PropertyChange[];
}

/** The parts of the engine's step metadata this reads. */
export interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
  new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
}

/** Operations that change nothing. */
const NO_CHANGE = new Set(['same', 'read', 'refresh', 'discard', 'import']);

/** Plain objects, as JSON gives them. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * The leaves that differ between two property bags, in path order. Keys that
 * start with `__` are the engine's own (a dynamic provider's serialized code) and are skipped.
 */
export function propertyChanges(before: Record<string, unknown>, after: Record<string, unknown>): PropertyChange[] {
  const out: PropertyChange[] = [];
  const walk = (path: string, a: unknown, b: unknown, hasA: boolean, hasB: boolean): void => {
    if (isObject(a) && isObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !(path === '' && k.startsWith('__'))).sort();
      for (const k of keys) walk(childPath(path, k), a[k], b[k], k in a, k in b);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i += 1) walk(childPath(path, i), a[i], b[i], i < a.length, i < b.length);
      return;
    }
    if (hasA && hasB && JSON.stringify(a) === JSON.stringify(b)) return;
    out.push({ path, ...(hasA ? { old: a } : {}), ...(hasB ? { new: b } : {}) });
  };
  walk('', before, after, true, true);
  return out;
}

/** The last part of a URN: the resource's name. */
function nameOf(urn: string): string {
  return urn.split('::').at(-1) ?? urn;
}

/**
 * The change a step makes, or undefined for steps that change nothing and for
 * providers (the engine's plumbing, which `pulumi preview` does not show either).
 * `compare` says which side of the state to diff: `inputs` for a preview, `outputs` for a refresh.
 */
export function resourceChange(step: StepMetadata, compare: 'inputs' | 'outputs'): ResourceChange | undefined {
  if (NO_CHANGE.has(step.op) || step.type.startsWith('pulumi:providers:')) return undefined;
  const before = step.old?.[compare];
  const after = step.new?.[compare];
  const properties = step.op === 'create' || step.op === 'delete' || !before || !after ? [] : propertyChanges(before, after);
  return { op: step.op, urn: step.urn, type: step.type, name: nameOf(step.urn), properties };
}

const SIGN: Record<string, string> = { create: '+', update: '~', delete: '-', replace: '+-', 'create-replacement': '++', 'delete-replaced': '--' };

/** A value as one short line: JSON, cut at 80 characters. */
function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The short type of a resource: `xplane:LocalDnsRecords` from `pulumi-nodejs:dynamic/xplane:LocalDnsRecords`, `aws:ec2/instance:Instance` as it is. */
function shortType(type: string): string {
  return type.replace(/^pulumi-nodejs:dynamic\//, '');
}

/** Lines for a person: `~ xplane:LocalDnsRecords svc-plus-dns` then one indented line per property. */
export function describeResourceChange(change: ResourceChange, drift = false): string[] {
  const gone = drift && change.op === 'delete' ? ': gone (deleted outside Pulumi)' : '';
  const head = `${SIGN[change.op] ?? change.op} ${shortType(change.type)} ${change.name}${gone}`;
  const props = change.properties.map((p) => {
    if (!('old' in p)) return `    ${p.path}: ${drift ? 'not recorded' : 'added'}, now ${show(p.new)}`;
    if (!('new' in p)) return `    ${p.path}: ${show(p.old)}, now ${drift ? 'missing' : 'removed'}`;
    return `    ${p.path}: ${show(p.old)} → ${show(p.new)}`;
  });
  return [head, ...props];
}
