// What the loop remembers between passes, as a value. A pass never changes the
// memory it was given: planPass returns the next one, and the reconciler swaps
// it in. What a pass saw (first-seen times, stabilization, the panic baseline,
// freezes) is remembered once it has planned; what it changed (cooldowns,
// weight-change times) only once its commit has landed (rememberChanges).
import type { DecisionRecord } from '../store/index.js';
import type { Freeze } from './safety.js';
import { memoryKey } from './shapes.js';

/** What the loop remembers between passes (per service, per region). Never changed in place. */
export interface LoopMemory {
  /** When the loop first saw each node name in a pool. */
  readonly firstSeen: ReadonlyMap<string, number>;
  /** Per `service/region`: when the autoscaler last changed it. */
  readonly lastScale: ReadonlyMap<string, number>;
  /** Per `service/region`: when GTM last changed its weight. */
  readonly lastWeight: ReadonlyMap<string, number>;
  /** Per `service/region`: since when a scale-down has been wanted. */
  readonly scaleDownSince: ReadonlyMap<string, number>;
  /** Per service: its nodes that were `down` at the last pass, the panic rule's baseline. */
  readonly down: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per service: its freeze, while one is in force. */
  readonly frozen: ReadonlyMap<string, Freeze>;
}

/** A fresh, empty memory. */
export function emptyMemory(): LoopMemory {
  return { firstSeen: new Map(), lastScale: new Map(), lastWeight: new Map(), scaleDownSince: new Map(), down: new Map(), frozen: new Map() };
}

/** A decision's controller and kind: all a decision record keeps that says what it changed. */
type DecisionKind = Pick<DecisionRecord, 'controller' | 'kind'>;

/** True for the decisions that start a region's autoscale cooldown: scale ups and downs, not removals or replacements. */
export function startsCooldown(d: DecisionKind): boolean {
  return d.controller === 'autoscale' && (d.kind === 'scale_up' || d.kind === 'scale_down');
}

/**
 * True for the decisions that set a region's weight and so start its GTM min_change_interval:
 * `weight` and `create_pool`. Judged by kind alone, so the decision log (which keeps no patch)
 * gives the same times as a pass: the only other GTM decision whose patch carries a weight is a
 * `forget` in a pass that also made a `weight` decision for the region, at the same time.
 */
export function setsWeight(d: DecisionKind): boolean {
  return d.controller === 'gtm' && (d.kind === 'weight' || d.kind === 'create_pool');
}

/** The memory once a pass's commit has landed at `now`: its regions' cooldown and weight-change times set. */
export function rememberChanges(memory: LoopMemory, decisions: readonly (DecisionKind & { service: string; region: string })[], now: number): LoopMemory {
  let lastScale: Map<string, number> | undefined;
  let lastWeight: Map<string, number> | undefined;
  for (const d of decisions) {
    if (startsCooldown(d)) (lastScale ??= new Map(memory.lastScale)).set(memoryKey(d.service, d.region), now);
    if (setsWeight(d)) (lastWeight ??= new Map(memory.lastWeight)).set(memoryKey(d.service, d.region), now);
  }
  if (!lastScale && !lastWeight) return memory;
  return { ...memory, lastScale: lastScale ?? memory.lastScale, lastWeight: lastWeight ?? memory.lastWeight };
}
