// The CPU rule of one region, on its own: which way its CPU (or its missing
// metrics) wants it to go and by how many nodes, and whether a scale down is
// still wanted for the stabilization window. Rules "The rule" and "Coming
// capacity … stabilization" in compute.ts's header.
import type { PassState, RegionState, Want } from './pass-state.js';

/** Phase "rule wants": sets the region's size before scaling and what the rule wants, and carries its scale-down window. */
export function wantByRule(pass: PassState, r: RegionState): void {
  const { input } = pass;
  r.start = r.live;
  r.want = ruleWant(pass, r);
  // Only the CPU rule's down-want is stabilized; stale metrics break it.
  const wantsDown = r.want.dir === 'down' && r.cpu !== 'stale';
  pass.scaleDownSince[r.region] = wantsDown ? (input.scaleDownSince[r.region] ?? input.now) : undefined;
}

/**
 * CPU > scale_up_cpu wants up by scale_up_step, CPU < scale_down_cpu wants down by scale_down_step,
 * else hold. Stale metrics hold, or want up under `on_missing_metrics: scale_up` when the region has
 * live nodes (an empty region has nothing to measure).
 */
export function ruleWant(pass: PassState, r: RegionState): Want {
  const rule = r.rule;
  if (r.cpu === 'stale') {
    if (pass.input.policy.global.on_missing_metrics === 'scale_up' && r.live > 0) {
      return { dir: 'up', step: rule.scale_up_step, reading: { kind: 'metrics_missing', then: 'scale_up' } };
    }
    return { dir: 'hold', step: 0, reading: { kind: 'metrics_missing', then: r.live === 0 ? 'no_nodes' : 'hold' } };
  }
  if (r.cpu > rule.scale_up_cpu) {
    return { dir: 'up', step: rule.scale_up_step, reading: { kind: 'cpu_above', cpu: r.cpu, threshold: rule.scale_up_cpu } };
  }
  if (r.cpu < rule.scale_down_cpu) {
    return { dir: 'down', step: rule.scale_down_step, reading: { kind: 'cpu_below', cpu: r.cpu, threshold: rule.scale_down_cpu } };
  }
  return { dir: 'hold', step: 0, reading: { kind: 'cpu_within', cpu: r.cpu, down: rule.scale_down_cpu, up: rule.scale_up_cpu } };
}
