// Why a region is where it is, as values. Like cluster-autoscaler's skip
// reasons, each reason is a small record with the numbers it needs, and it
// prints itself: RegionPlan.reason (the status API's words) is reasonText of
// the region's reason, and a decision's commit line is changeText of its
// change. The phases build these values; only this file turns them into text,
// and the text is a contract (status API, commit lines, docs/controllers.md).
import { cpuText, plural, spanText } from './summary-text.js';

/** What the CPU rule read in a region: the head of most reasons, and the cause of a rule scale. */
export type Reading =
  /** `cpu=0.90 > 0.70`: above scale_up_cpu. */
  | { kind: 'cpu_above'; cpu: number; threshold: number }
  /** `cpu=0.12 < 0.30`: below scale_down_cpu. */
  | { kind: 'cpu_below'; cpu: number; threshold: number }
  /** `cpu=0.50 within 0.30..0.70`. */
  | { kind: 'cpu_within'; cpu: number; down: number; up: number }
  /** Stale metrics: `metrics missing (on_missing_metrics: scale_up)`, `metrics missing: holding`, or `no nodes` in an empty region. */
  | { kind: 'metrics_missing'; then: 'scale_up' | 'hold' | 'no_nodes' };

/** Why a size changed, as the commit line says it in parentheses: `1→2 (cpu=0.90)`. */
export type Cause =
  /** The rule: `cpu=0.90`, `metrics missing`. */
  | Reading
  /** `max 5`: above max_nodes. */
  | { kind: 'max_nodes'; max: number }
  /** `min 2`: below min_nodes. */
  | { kind: 'min_nodes'; min: number }
  /** `min_regions 2`: an empty region brought up. */
  | { kind: 'min_regions'; minRegions: number }
  /** `overflow from jp: cpu=0.92, jp at max 5`: the step another region could not take. */
  | { kind: 'overflow'; from: string; reading: Reading; limit: Limit };

/** The most nodes this service may have in a region, and which bound sets it: `at max 5`, `at quota 20` (the region's max_nodes). */
export interface CapBound {
  by: 'max_nodes' | 'quota';
  value: number;
}

/** What stopped a scale up: a region's cap (`jp at max 5`) or max_regions (`max_regions 3`). */
export type Limit = { kind: 'cap'; region: string; cap: CapBound } | { kind: 'max_regions'; maxRegions: number };

/** What a region waits for: `waiting for 1 new node`, `cooldown 45s left` (rounded up). */
export type Wait = { kind: 'coming'; count: number } | { kind: 'cooldown'; leftMs: number };

/** Why overflow waits for another region: it is waiting itself, or `changed in this pass`. */
export type Unsettled = Wait | { kind: 'changed' };

/** Why a node is removed from `nodes`: `deleted` already, or `drained 60s`. */
export type Gone = { kind: 'deleted' } | { kind: 'drained'; forMs: number };

/** One change of a decision, as its commit line says it after `autoscale: <service> <region> `. */
export type Change =
  /** `1→2 (cpu=0.90)`, `6→5 (max 5)`. */
  | { kind: 'scale_up' | 'scale_down'; from: number; to: number; cause: Cause }
  /** `remove jp-svc-plus-2 (drained 60s)`, `remove jp-svc-plus-3 (deleted)`. */
  | { kind: 'remove'; node: string; gone: Gone }
  /** `replace sg-svc-plus-1 → sg-svc-plus-2 (down 5m20s)`. */
  | { kind: 'replace'; node: string; by: string; downMs: number };

/** What a freeze held back in a region: `not scaling down 4→3 (cpu=0.10)`, `not removing n (drained 60s)`, `not replacing n (down 6m)`. */
export type HeldBack =
  | { kind: 'scale_down'; from: number; to: number; cause: Cause }
  | { kind: 'remove'; node: string; gone: Gone }
  | { kind: 'replace'; node: string; downMs: number };

/** Why a region is where it is after a pass: RegionPlan.reason. */
export type RegionReason =
  /** Nothing stopped the rule, or it wanted nothing: its reading alone. */
  | { kind: 'reading'; reading: Reading }
  /** `held by a human change`: `<region>:nodes` or `<region>:excluded` is on hold. */
  | { kind: 'held' }
  /** `cpu=0.10 < 0.30, at min 1`. */
  | { kind: 'at_min'; reading: Reading; min: number }
  /** `cpu=0.12 < 0.30 for 4m59s of 5m`: the down-want has not lasted scale_down_stabilization yet. */
  | { kind: 'stabilizing'; reading: Reading; forMs: number; windowMs: number }
  /** `cpu=0.90 > 0.70, waiting for 1 new node`, `…, cooldown 60s left`. */
  | { kind: 'waiting'; reading: Reading; wait: Wait }
  /** `cpu=0.10 < 0.25, keeping capacity for jp (at its limit)`: saturated regions overflow into this one. */
  | { kind: 'keeping_capacity'; reading: Reading; saturated: string[] }
  /** `cpu=0.90 > 0.70, jp at max 5`: a cap or max_regions stopped the whole step. */
  | { kind: 'limited'; reading: Reading; limit: Limit }
  /** `cpu=0.05: last node kept for min_regions 1`. */
  | { kind: 'last_node_kept'; cause: Cause; minRegions: number }
  /** `below min 1, but max_regions 1 reached`, `below min 2, but at quota 20`. */
  | { kind: 'below_min'; min: number; limit: Limit }
  /** `cpu=0.90: 2→3, adding jp-svc-plus-3`. */
  | { kind: 'scaled_up'; cause: Cause; from: number; to: number; added: string[] }
  /** `cpu=0.12: 3→2, draining jp-svc-plus-2`, with `removing <n> (never registered)` for victims that leave at once. */
  | { kind: 'scaled_down'; cause: Cause; from: number; to: number; draining: string[]; dropped: string[] }
  /** `<before>; overflow waits for sg (cooldown 80s left)`. */
  | { kind: 'overflow_waits'; before: RegionReason; on: string; because: Unsettled }
  /** `<before>; overflow 1 to sg, 2 to us`. */
  | { kind: 'overflowed'; before: RegionReason; placed: { region: string; count: number }[] }
  /** `<before>; frozen (panic): not scaling down 4→3 (cpu=0.10), …`. */
  | { kind: 'frozen'; before: RegionReason; frozen: string; heldBack: HeldBack[] };

// Every region of every pass prints its thresholds, and a fleet's policies use a handful of
// values: print each once. The bound keeps a pathological config from growing it for ever.
const thresholdTexts = new Map<number, string>();
const MAX_THRESHOLD_TEXTS = 256;

function thresholdText(t: number): string {
  let text = thresholdTexts.get(t);
  if (text === undefined) {
    if (thresholdTexts.size >= MAX_THRESHOLD_TEXTS) thresholdTexts.clear();
    thresholdTexts.set(t, (text = cpuText(t)));
  }
  return text;
}

/** The plan's words for a reading: `cpu=0.90 > 0.70`, `metrics missing: holding`. */
export function readingText(r: Reading): string {
  switch (r.kind) {
    case 'cpu_above':
      return `cpu=${cpuText(r.cpu)} > ${thresholdText(r.threshold)}`;
    case 'cpu_below':
      return `cpu=${cpuText(r.cpu)} < ${thresholdText(r.threshold)}`;
    case 'cpu_within':
      return `cpu=${cpuText(r.cpu)} within ${thresholdText(r.down)}..${thresholdText(r.up)}`;
    case 'metrics_missing':
      return r.then === 'scale_up' ? 'metrics missing (on_missing_metrics: scale_up)' : r.then === 'hold' ? 'metrics missing: holding' : 'no nodes';
  }
}

/** A cause as the commit line says it: `cpu=0.90`, `metrics missing`, `max 5`, `min 2`, `min_regions 2`, `overflow from jp: …`. */
export function causeText(c: Cause): string {
  switch (c.kind) {
    case 'cpu_above':
    case 'cpu_below':
    case 'cpu_within':
      return `cpu=${cpuText(c.cpu)}`;
    case 'metrics_missing':
      return 'metrics missing';
    case 'max_nodes':
      return `max ${c.max}`;
    case 'min_nodes':
      return `min ${c.min}`;
    case 'min_regions':
      return `min_regions ${c.minRegions}`;
    case 'overflow':
      return `overflow from ${c.from}: ${causeText(c.reading)}, ${limitText(c.limit)}`;
  }
}

/** `at max 5`, `at quota 20`. */
export function capText(c: CapBound): string {
  return `at ${c.by === 'quota' ? 'quota' : 'max'} ${c.value}`;
}

/** `jp at max 5`, `max_regions 3`. */
export function limitText(l: Limit): string {
  return l.kind === 'cap' ? `${l.region} ${capText(l.cap)}` : `max_regions ${l.maxRegions}`;
}

function waitText(w: Unsettled): string {
  switch (w.kind) {
    case 'coming':
      return `waiting for ${plural(w.count, 'new node')}`;
    case 'cooldown':
      return `cooldown ${spanText(w.leftMs, 'up')} left`;
    case 'changed':
      return 'changed in this pass';
  }
}

function goneText(g: Gone): string {
  return g.kind === 'deleted' ? 'deleted' : `drained ${spanText(g.forMs)}`;
}

/** A change as its commit line says it after `autoscale: <service> <region> `. */
export function changeText(c: Change): string {
  switch (c.kind) {
    case 'scale_up':
    case 'scale_down':
      return `${c.from}→${c.to} (${causeText(c.cause)})`;
    case 'remove':
      return `remove ${c.node} (${goneText(c.gone)})`;
    case 'replace':
      return `replace ${c.node} → ${c.by} (down ${spanText(c.downMs)})`;
  }
}

/** What a freeze held back, in words: `not scaling down 4→3 (cpu=0.10)`. */
export function heldBackText(h: HeldBack): string {
  switch (h.kind) {
    case 'scale_down':
      return `not scaling down ${h.from}→${h.to} (${causeText(h.cause)})`;
    case 'remove':
      return `not removing ${h.node} (${goneText(h.gone)})`;
    case 'replace':
      return `not replacing ${h.node} (down ${spanText(h.downMs)})`;
  }
}

/** A region's reason as RegionPlan.reason and the status API show it. */
export function reasonText(r: RegionReason): string {
  switch (r.kind) {
    case 'reading':
      return readingText(r.reading);
    case 'held':
      return 'held by a human change';
    case 'at_min':
      return `${readingText(r.reading)}, at min ${r.min}`;
    case 'stabilizing':
      return `${readingText(r.reading)} for ${spanText(r.forMs)} of ${spanText(r.windowMs)}`;
    case 'waiting':
      return `${readingText(r.reading)}, ${waitText(r.wait)}`;
    case 'keeping_capacity':
      return `${readingText(r.reading)}, keeping capacity for ${r.saturated.join(', ')} (at its limit)`;
    case 'limited':
      return `${readingText(r.reading)}, ${limitText(r.limit)}`;
    case 'last_node_kept':
      return `${causeText(r.cause)}: last node kept for min_regions ${r.minRegions}`;
    case 'below_min':
      return `below min ${r.min}, but ${r.limit.kind === 'cap' ? capText(r.limit.cap) : `max_regions ${r.limit.maxRegions} reached`}`;
    case 'scaled_up':
      return `${causeText(r.cause)}: ${r.from}→${r.to}, adding ${r.added.join(', ')}`;
    case 'scaled_down': {
      const what: string[] = [];
      if (r.draining.length > 0) what.push(`draining ${r.draining.join(', ')}`);
      if (r.dropped.length > 0) what.push(`removing ${r.dropped.join(', ')} (never registered)`);
      return `${causeText(r.cause)}: ${r.from}→${r.to}, ${what.join(', ')}`;
    }
    case 'overflow_waits':
      return `${reasonText(r.before)}; overflow waits for ${r.on} (${waitText(r.because)})`;
    case 'overflowed':
      return `${reasonText(r.before)}; overflow ${r.placed.map((p) => `${p.count} to ${p.region}`).join(', ')}`;
    case 'frozen':
      return `${reasonText(r.before)}; frozen (${r.frozen}): ${r.heldBack.map(heldBackText).join(', ')}`;
  }
}
