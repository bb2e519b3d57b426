// The autoscaler's decision, as a value: from the policy, each region's pool and
// what its nodes report, it returns the changes to `nodes`/`excluded` with their
// reasons, and the caller (the executor) does the IO. No clock, no store, no Git:
// `now` and every piece of state are inputs, so a pass can be replayed in a test.
//
// Rules, per region of the policy (contract §2, §3):
// - Counting. `draining` = nodes in state `drain`; `live` = every other node still
//   meant to exist (the current size). `coming` = live nodes in state `unknown` or
//   `warm` added less than `provision_timeout` ago: capacity on the way, like
//   cluster-autoscaler's upcoming nodes. Older ones failed to provision; they still
//   count in the size (so the loop does not stack up machines) and are among the
//   first scale-down victims.
// - Removal. A `drain` node whose `stateSince + drainMs <= now` leaves `nodes` and
//   `excluded` (kind `remove`), whatever the cooldown. A node in `nodes` whose state
//   is already `deleted` leaves too (a pass whose commit was lost is redone).
// - Replacement. A node `down` for `replace_after` or longer is removed and a new
//   name appended to `nodes` and `excluded` in the same decision (kind `replace`),
//   whatever the cooldown. A node chosen as a scale-down victim is not replaced, nor
//   one whose `down` is only the store's word from before this term (`loaded`).
// - The rule. CPU > scale_up_cpu wants up by scale_up_step; CPU < scale_down_cpu
//   wants down by scale_down_step; else hold. Stale metrics hold under
//   `on_missing_metrics: hold` and never scale down; under `scale_up` they want up,
//   but only in a region that has live nodes (an empty region has nothing to
//   measure, and scaling it up would defeat min_nodes 0 and max_regions).
// - Coming capacity blocks a further scale up of the region; the cooldown
//   (`lastChange + cooldown > now`) blocks the rule's scale up and down; a scale
//   down also needs the down-want to have lasted `scale_down_stabilization`
//   (`scaleDownSince`, carried between passes, tracks only the CPU rule).
// - Bounds. Below min_nodes or above max_nodes (a human edited the policy) the
//   region is brought into bounds at once, ignoring cooldown and stabilization.
//   Every scale up is capped by max_nodes and by the region quota
//   (`regionDefs[r].max_nodes` ≥ other services' nodes + this service's live nodes).
// - Regions. A region with live nodes counts toward min_regions/max_regions. No
//   region goes from 0 to >0 nodes past max_regions (this wins over min_nodes); no
//   region loses its last node below min_regions (this wins over max_nodes: 0).
//   Below min_regions, the cheapest empty regions are brought up to
//   max(1, min_nodes), ignoring cooldown.
// - Overflow. When max_nodes, the quota or max_regions stops a wanted scale up, the
//   blocked nodes go to other regions that can take them, cheapest first
//   (`cost_per_node_hour`, unknown = most expensive; ties by name). It waits while
//   any other region of the service has coming nodes, is in cooldown or changed in
//   this pass (so at most one overflow step per cooldown, and capacity already on
//   its way counts). A target must be unheld and not want down itself (it already
//   has spare capacity). While any region is saturated like this, no other region
//   scales down by the rule: it would shed the capacity the saturated region
//   overflows into, and flap.
// - Scale down victims: down, then unknown/warm outside DNS, then excluded, then
//   unknown/warm still serving on trust, then the least loaded active nodes (see
//   victims.ts). They go into `excluded` and the result's `drain`; `nodes` keeps
//   them until the removal rule fires. A victim no agent ever registered under that
//   is already out of DNS leaves `nodes` at once (`removed`).
// - Holds. `${region}:nodes` or `${region}:excluded` on hold → no decision in that
//   region at all: every autoscale decision writes both keys.
// - Order. Regions are visited in a fixed order: rule scale downs most expensive
//   region first (so min_regions keeps the cheap one), then replacements, then
//   scale ups by name, overflow, min_regions. Each decision's patch is the pool's
//   `nodes` and `excluded` after it, cumulative within the pass.
// - Frozen (self-protection, src/reconcile/safety.ts): nothing leaves `nodes` and
//   nothing is newly excluded: no scale down (by the rule or the bounds), no
//   replacement, no removal; the reason names what was held back. Scale ups go on.
// The caller starts a region's cooldown for its `scale_up` / `scale_down`
// decisions (`isScaleChange`), not for removals and replacements.
import type { AutoscalePolicy, AutoscaleRegion, RegionDef } from '../config/index.js';
import type { Decision, NodeObservation, PoolView } from '../decision/index.js';
import type { RegionMetrics } from '../nodes/index.js';
import { NameSequence } from './node-names.js';
import { cpuText, plural, spanText } from './summary-text.js';
import { orderVictims } from './victims.js';

/** Everything one autoscale pass decides from; all of it plain data, `now` included. */
export interface AutoscaleInput {
  now: number;
  policy: AutoscalePolicy;
  /** Every declared region (quota max_nodes, cost_per_node_hour). */
  regionDefs: Record<string, RegionDef>;
  /** One entry per region in policy.regions. */
  pools: Record<string, PoolView>;
  /** CPU etc. averaged over cpu_window across each region's ACTIVE nodes; 'stale' when none reported. */
  metrics: Record<string, RegionMetrics | 'stale'>;
  /** Nodes other services use in each region (for the region quota). */
  otherServicesNodes: Record<string, number>;
  /** When the autoscaler last changed each region (cooldown). */
  lastChange: Record<string, number | undefined>;
  /** Since when a scale-down has been wanted continuously in each region (stabilization), carried between passes. */
  scaleDownSince: Record<string, number | undefined>;
  /** Highest node ordinal ever used per region for this service (names only grow: next is +1). */
  maxOrdinal: Record<string, number>;
  /** Keys on human-override hold, as `${region}:nodes` (and `${region}:excluded`). */
  holds: ReadonlySet<string>;
  /** Effective drain time: max(policy drain, 2 × DNS TTL), computed by the caller. */
  drainMs: number;
  /** Set (to the reason, e.g. `panic`) while self-protection freezes the service: add, never take away. */
  frozen?: string;
}

/** What the pass made of one region, for logs and the status API (the "final scale-up plan"). */
export interface RegionPlan {
  /** Live nodes before this pass. */
  current: number;
  /** Live nodes after this pass's decisions. */
  desired: number;
  cpu: number | 'stale';
  /** Which way the region wanted to go (the rule, or a bound it had to meet), whether or not it went. */
  wanted: 'up' | 'down' | 'hold';
  /** Why it went, or why not. */
  reason: string;
  /** Live nodes still provisioning (at the start of the pass). */
  coming: number;
  /** Nodes in drain, including this pass's victims. */
  draining: string[];
}

/** The decisions of one pass and the state it hands to the executor and the next pass. */
export interface AutoscaleResult {
  decisions: Decision[];
  /** Nodes to put into `drain` now (the executor tells the registry): scale-down victims. */
  drain: string[];
  /** Nodes the executor marks deleted in the registry (removed from `nodes`). */
  removed: string[];
  /** The stabilization state to carry into the next pass. */
  scaleDownSince: Record<string, number | undefined>;
  regions: Record<string, RegionPlan>;
}

/** True for the decisions that start a region's cooldown (scale up and down, wherever they came from). */
export function isScaleChange(d: Decision): boolean {
  return d.kind === 'scale_up' || d.kind === 'scale_down';
}

type Direction = 'up' | 'down' | 'hold';

interface Want {
  dir: Direction;
  step: number;
  /** The commit-line reason, e.g. `cpu=0.90` or `metrics missing`. */
  label: string;
  /** The plan reason when nothing stops it. */
  detail: string;
}

// One region's working state during the pass; decisions mutate it in order.
interface Work {
  region: string;
  rule: AutoscaleRegion;
  nodes: string[];
  excluded: string[];
  obs: Observations;
  names: NameSequence;
  held: boolean;
  cost: number;
  start: number;
  live: number;
  coming: number;
  draining: string[];
  cpu: number | 'stale';
  want: Want;
  /** The most nodes this service may have here: max_nodes and the region quota. */
  cap: number;
  capLabel: string;
  cooldownLeft: number;
  /** A scale up or down was decided this pass. */
  changed: boolean;
  wanted: Direction;
  reason: string | undefined;
  /** What a freeze held back in this region, for its reason. */
  heldBack?: string[];
  decisions: Decision[];
}

function holdBack(w: Work, what: string): void {
  (w.heldBack ??= []).push(what);
}

const isLive = (o: NodeObservation): boolean => o.state !== 'drain' && o.state !== 'deleted';

/** One autoscale pass: decisions for every region of the policy, with no IO. */
export function computeAutoscale(input: AutoscaleInput): AutoscaleResult {
  const { now, policy } = input;
  const g = policy.global;
  const service = policy.service;
  const drain: string[] = [];
  const removed: string[] = [];
  const scaleDownSince: Record<string, number | undefined> = {};

  const decide = (w: Work, kind: string, what: string, why: Decision['why']): void => {
    w.decisions.push({
      controller: 'autoscale',
      service,
      region: w.region,
      kind,
      summary: `autoscale: ${service} ${w.region} ${what}`,
      why,
      patch: { nodes: [...w.nodes], excluded: [...w.excluded] },
    });
  };

  const { regionNames, thresholds } = policyText(policy);
  const works: Work[] = [];
  for (const [i, region] of regionNames.entries()) {
    const rule = policy.regions[region];
    if (!rule) continue;
    const w = prepare(input, region, rule);
    works.push(w);
    if (!w.held) removeFinished(input, w, removed, decide);
    w.start = w.live;
    w.want = ruleWant(input, w, thresholds[i] ?? thresholdText(rule));
    const wantsDown = w.want.dir === 'down' && w.cpu !== 'stale';
    scaleDownSince[region] = wantsDown ? (input.scaleDownSince[region] ?? now) : undefined;
  }

  let withNodes = works.filter((w) => w.live > 0).length;
  const upFromZeroBlocked = (w: Work): boolean => w.live === 0 && withNodes >= g.max_regions;

  // A saturated region wants more than its cap allows; others keep their capacity for it.
  const saturated = works.filter((w) => !w.held && w.want.dir === 'up' && w.live + w.want.step > w.cap);

  // Scale downs: bounds first, then the rule. Most expensive first, so min_regions keeps the cheap region.
  const byCostDesc = [...works].sort((a, b) => b.cost - a.cost || compareNames(a.region, b.region));
  for (const w of byCostDesc) {
    if (w.held) continue;
    let target: number;
    let label: string;
    let kindWhy: Decision['why'];
    if (w.live > w.rule.max_nodes) {
      w.wanted = 'down';
      target = w.rule.max_nodes;
      label = `max ${w.rule.max_nodes}`;
      kindWhy = { max_nodes: w.rule.max_nodes };
    } else if (w.want.dir === 'down') {
      w.wanted = 'down';
      const since = scaleDownSince[w.region] ?? now;
      const others = saturated.filter((s) => s !== w).map((s) => s.region);
      if (w.live <= w.rule.min_nodes) {
        w.reason = `${w.want.detail}, at min ${w.rule.min_nodes}`;
        continue;
      }
      if (now - since < g.scale_down_stabilization) {
        w.reason = `${w.want.detail} for ${spanText(now - since)} of ${spanText(g.scale_down_stabilization)}`;
        continue;
      }
      if (w.cooldownLeft > 0) {
        w.reason = `${w.want.detail}, cooldown ${spanText(w.cooldownLeft, 'up')} left`;
        continue;
      }
      if (others.length > 0) {
        w.reason = `${w.want.detail}, keeping capacity for ${others.join(', ')} (at its limit)`;
        continue;
      }
      target = Math.max(w.live - w.want.step, w.rule.min_nodes);
      label = w.want.label;
      kindWhy = { cpu: w.cpu, scale_down_cpu: w.rule.scale_down_cpu, stabilized_ms: now - since };
    } else {
      continue;
    }
    if (target === 0 && w.live > 0 && withNodes - 1 < g.min_regions) {
      target = 1;
      if (target >= w.live) {
        w.reason = `${w.reason ?? label}: last node kept for min_regions ${g.min_regions}`;
        continue;
      }
    }
    if (target >= w.live) continue;
    if (input.frozen !== undefined) {
      holdBack(w, `not scaling down ${w.live}→${target} (${label})`);
      continue;
    }
    const candidates = w.nodes.map((n) => w.obs.get(n)).filter((o): o is NodeObservation => o !== undefined && isLive(o));
    const victims = orderVictims(candidates, new Set(w.excluded))
      .slice(0, w.live - target)
      .map((o) => o.name);
    const from = w.live;
    const drained: string[] = [];
    const dropped: string[] = [];
    for (const v of victims) {
      const o = w.obs.get(v);
      if (o?.state === 'unknown' && w.excluded.includes(v)) {
        // Never registered and kept out of DNS: nothing to drain, it leaves at once. (One that
        // serves on trust may be in DNS: it is drained like any other.)
        w.nodes = w.nodes.filter((n) => n !== v);
        w.excluded = w.excluded.filter((n) => n !== v);
        w.obs.delete(v);
        removed.push(v);
        dropped.push(v);
        continue;
      }
      if (!w.excluded.includes(v)) w.excluded.push(v);
      drain.push(v);
      w.draining.push(v);
      drained.push(v);
      // The executor puts it in drain; for the rest of this pass it is already leaving.
      if (o) w.obs.set(v, { ...o, state: 'drain', stateSince: now });
    }
    w.live -= victims.length;
    if (w.live === 0) withNodes -= 1;
    w.changed = true;
    const what = [drained.length > 0 ? `draining ${drained.join(', ')}` : '', dropped.length > 0 ? `removing ${dropped.join(', ')} (never registered)` : '']
      .filter((x) => x !== '')
      .join(', ');
    w.reason = `${label}: ${from}→${w.live}, ${what}`;
    decide(w, 'scale_down', `${from}→${w.live} (${label})`, { ...kindWhy, from, to: w.live, victims: victims.join(',') });
  }

  for (const w of works) if (!w.held) replaceDown(input, w, removed, decide);

  // Scale ups by the bounds and the rule; blocked steps are offered to other regions.
  const overflow: { source: Work; blocked: number; because: string }[] = [];
  const addNodes = (w: Work, count: number, label: string, why: Decision['why']): void => {
    const from = w.live;
    const added: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const name = w.names.take();
      added.push(name);
      w.nodes.push(name);
      // A new node takes traffic only after GTM has seen it active and lifted the exclusion.
      w.excluded.push(name);
    }
    if (from === 0) withNodes += 1;
    w.live += count;
    w.changed = true;
    w.wanted = 'up';
    w.reason = `${label}: ${from}→${w.live}, adding ${added.join(', ')}`;
    decide(w, 'scale_up', `${from}→${w.live} (${label})`, { ...why, from, to: w.live, added: added.join(',') });
  };

  for (const w of works) {
    if (w.held || w.changed) continue;
    if (w.live < w.rule.min_nodes) {
      w.wanted = 'up';
      if (upFromZeroBlocked(w)) {
        w.reason = `below min ${w.rule.min_nodes}, but max_regions ${g.max_regions} reached`;
        continue;
      }
      const target = Math.min(w.rule.min_nodes, w.cap);
      if (target <= w.live) {
        w.reason = `below min ${w.rule.min_nodes}, but ${w.capLabel}`;
        continue;
      }
      addNodes(w, target - w.live, `min ${w.rule.min_nodes}`, { min_nodes: w.rule.min_nodes });
      continue;
    }
    if (w.want.dir !== 'up') continue;
    w.wanted = 'up';
    if (w.coming > 0) {
      w.reason = `${w.want.detail}, waiting for ${plural(w.coming, 'new node')}`;
      continue;
    }
    if (w.cooldownLeft > 0) {
      w.reason = `${w.want.detail}, cooldown ${spanText(w.cooldownLeft, 'up')} left`;
      continue;
    }
    const wantedTo = w.live + w.want.step;
    const fromZeroBlocked = upFromZeroBlocked(w);
    // Other services may already be past the quota: that stops growth here, it never shrinks us.
    const target = fromZeroBlocked ? w.live : Math.max(w.live, Math.min(wantedTo, w.cap));
    const because = fromZeroBlocked ? `max_regions ${g.max_regions}` : `${w.region} ${w.capLabel}`;
    if (target > w.live) {
      addNodes(w, target - w.live, w.want.label, { cpu: w.cpu, scale_up_cpu: w.rule.scale_up_cpu });
    } else {
      w.reason = `${w.want.detail}, ${because}`;
    }
    if (wantedTo > target) overflow.push({ source: w, blocked: wantedTo - target, because });
  }

  const byCostAsc = [...works].sort((a, b) => a.cost - b.cost || compareNames(a.region, b.region));
  for (const { source, blocked, because } of overflow) {
    // Spilling waits until the service has settled elsewhere: capacity already on its way or
    // just placed in another region may be what this step needs, and without the wait each
    // pass would pick the next cheapest region while the last one is still in cooldown.
    const unsettled = works.find((t) => t !== source && (t.changed || t.coming > 0 || t.cooldownLeft > 0));
    if (unsettled) {
      const why = unsettled.changed
        ? 'changed in this pass'
        : unsettled.coming > 0
          ? `waiting for ${plural(unsettled.coming, 'new node')}`
          : `cooldown ${spanText(unsettled.cooldownLeft, 'up')} left`;
      source.reason = `${source.reason ?? source.want.detail}; overflow waits for ${unsettled.region} (${why})`;
      continue;
    }
    let left = blocked;
    const placed: string[] = [];
    for (const t of byCostAsc) {
      if (left === 0) break;
      if (t === source || t.held || t.want.dir === 'down') continue;
      if (upFromZeroBlocked(t)) continue;
      const take = Math.min(left, t.cap - t.live);
      if (take <= 0) continue;
      const label = `overflow from ${source.region}: ${source.want.label}, ${because}`;
      addNodes(t, take, label, { source: source.region, source_cpu: source.cpu, blocked });
      placed.push(`${take} to ${t.region}`);
      left -= take;
    }
    if (placed.length > 0) source.reason = `${source.reason ?? source.want.detail}; overflow ${placed.join(', ')}`;
  }

  if (withNodes < g.min_regions) {
    for (const t of byCostAsc) {
      if (withNodes >= g.min_regions) break;
      if (t.live > 0 || t.held || t.changed || withNodes >= g.max_regions) continue;
      const target = Math.min(Math.max(1, t.rule.min_nodes), t.cap);
      if (target <= 0) continue;
      addNodes(t, target, `min_regions ${g.min_regions}`, { min_regions: g.min_regions, regions_with_nodes: withNodes });
    }
  }

  const regions: Record<string, RegionPlan> = {};
  const decisions: Decision[] = [];
  for (const w of works) {
    decisions.push(...w.decisions);
    regions[w.region] = {
      current: w.start,
      desired: w.live,
      cpu: w.cpu,
      wanted: w.held ? w.want.dir : w.wanted,
      reason: w.held ? 'held by a human change' : `${w.reason ?? w.want.detail}${w.heldBack ? `; frozen (${input.frozen}): ${w.heldBack.join(', ')}` : ''}`,
      coming: w.coming,
      draining: w.draining,
    };
  }
  return { decisions, drain, removed, scaleDownSince, regions };
}

type Decide = (w: Work, kind: string, what: string, why: Decision['why']) => void;

// Past this many nodes in a pool, observations are looked up in a Map; below it a scan is cheaper
// than building one, and the pass looks at every pool of every service.
const SCAN_LIMIT = 16;

/**
 * A region's observations by name for one pass: the last observation of each name in the view,
 * and for a name in `nodes` with none, an `unknown` one added `now` (just written: nothing
 * registered under it yet). Most regions only read them, so the view's own list is scanned until
 * the pass changes something (a victim starts draining, a node leaves) or the pool is large.
 */
class Observations {
  private map: Map<string, NodeObservation> | undefined;

  constructor(
    private readonly names: readonly string[],
    private readonly list: readonly NodeObservation[],
    private readonly now: number,
  ) {
    if (names.length > SCAN_LIMIT || list.length > SCAN_LIMIT) this.materialize();
  }

  get(name: string): NodeObservation | undefined {
    if (this.map) return this.map.get(name);
    for (let i = this.list.length - 1; i >= 0; i -= 1) {
      const o = this.list[i] as NodeObservation;
      if (o.name === name) return o;
    }
    return this.names.includes(name) ? this.materialize().get(name) : undefined;
  }

  set(name: string, o: NodeObservation): void {
    this.materialize().set(name, o);
  }

  delete(name: string): void {
    this.materialize().delete(name);
  }

  private materialize(): Map<string, NodeObservation> {
    if (this.map) return this.map;
    const map = new Map<string, NodeObservation>();
    for (const o of this.list) map.set(o.name, o);
    for (const n of this.names) {
      if (!map.has(n)) map.set(n, { name: n, state: 'unknown', stateSince: null, addedAt: this.now, cpu: null, rttMs: null, errorRate: null });
    }
    this.map = map;
    return map;
  }
}

function prepare(input: AutoscaleInput, region: string, rule: AutoscaleRegion): Work {
  const { now, policy } = input;
  const view = input.pools[region];
  const nodes = [...(view?.pool?.nodes ?? [])];
  // excluded ⊆ nodes: a stray name would make a node the pool no longer has.
  const excluded = (view?.pool?.excluded ?? []).filter((n) => nodes.includes(n));
  // The input's lists, which the pass never changes (`nodes` is its working copy).
  const obs = new Observations(view?.pool?.nodes ?? [], view?.nodes ?? [], now);
  const def: RegionDef | undefined = input.regionDefs[region];
  const quota = def?.max_nodes === undefined ? Infinity : def.max_nodes - (input.otherServicesNodes[region] ?? 0);
  const cap = Math.max(0, Math.min(rule.max_nodes, quota));
  const capLabel = quota < rule.max_nodes ? `at quota ${def?.max_nodes ?? 0}` : `at max ${rule.max_nodes}`;
  const metrics = input.metrics[region];
  const last = input.lastChange[region];
  const held = input.holds.size > 0 && (input.holds.has(`${region}:nodes`) || input.holds.has(`${region}:excluded`));
  const w: Work = {
    region,
    rule,
    nodes,
    excluded,
    obs,
    // The input's own lists, which this pass never changes (it works on copies).
    names: new NameSequence(region, policy.service, input.maxOrdinal[region] ?? 0, view?.pool?.nodes ?? [], view?.pool?.excluded ?? []),
    held,
    cost: def?.cost_per_node_hour ?? Infinity,
    start: 0,
    live: 0,
    coming: 0,
    draining: [],
    cpu: metrics === undefined || metrics === 'stale' ? 'stale' : metrics.cpu,
    want: { dir: 'hold', step: 0, label: '', detail: '' },
    cap,
    capLabel,
    cooldownLeft: last === undefined ? 0 : Math.max(0, last + policy.global.cooldown - now),
    changed: false,
    wanted: 'hold',
    reason: undefined,
    decisions: [],
  };
  recount(input, w);
  return w;
}

function recount(input: AutoscaleInput, w: Work): void {
  const timeout = input.policy.global.provision_timeout;
  w.live = 0;
  w.coming = 0;
  w.draining = [];
  for (const n of w.nodes) {
    const o = w.obs.get(n);
    if (!o) continue;
    if (o.state === 'drain') w.draining.push(n);
    if (!isLive(o)) continue;
    w.live += 1;
    if ((o.state === 'unknown' || o.state === 'warm') && input.now - o.addedAt < timeout) w.coming += 1;
  }
}

function drop(w: Work, name: string): void {
  w.nodes = w.nodes.filter((n) => n !== name);
  w.excluded = w.excluded.filter((n) => n !== name);
}

function removeFinished(input: AutoscaleInput, w: Work, removed: string[], decide: Decide): void {
  const { now, drainMs } = input;
  const frozen = input.frozen !== undefined;
  let dropped = false;
  // drop() replaces w.nodes with a filtered copy, so this loop walks the list as it was.
  for (const name of w.nodes) {
    const o = w.obs.get(name);
    if (!o) continue;
    if (o.state === 'deleted') {
      if (frozen) {
        holdBack(w, `not removing ${name} (deleted)`);
        continue;
      }
      drop(w, name);
      dropped = true;
      decide(w, 'remove', `remove ${name} (deleted)`, { node: name });
      continue;
    }
    if (o.state !== 'drain') continue;
    const since = o.stateSince ?? o.addedAt;
    if (since + drainMs > now) continue;
    if (frozen) {
      holdBack(w, `not removing ${name} (drained ${spanText(now - since)})`);
      continue;
    }
    drop(w, name);
    dropped = true;
    removed.push(name);
    decide(w, 'remove', `remove ${name} (drained ${spanText(now - since)})`, { node: name, drained_ms: now - since, drain_ms: drainMs });
  }
  if (dropped) recount(input, w);
}

function replaceDown(input: AutoscaleInput, w: Work, removed: string[], decide: Decide): void {
  const { now } = input;
  const after = input.policy.global.replace_after;
  for (const name of [...w.nodes]) {
    const o = w.obs.get(name);
    // Down only in the store's word from before this term is not evidence yet (contract §3).
    if (!o || o.state !== 'down' || o.loaded === true) continue;
    const downFor = now - (o.stateSince ?? o.addedAt);
    if (downFor < after) continue;
    if (input.frozen !== undefined) {
      holdBack(w, `not replacing ${name} (down ${spanText(downFor)})`);
      continue;
    }
    drop(w, name);
    w.obs.delete(name);
    const fresh = w.names.take();
    w.nodes.push(fresh);
    w.excluded.push(fresh);
    removed.push(name);
    decide(w, 'replace', `replace ${name} → ${fresh} (down ${spanText(downFor)})`, {
      node: name,
      replacement: fresh,
      down_ms: downFor,
      replace_after_ms: after,
    });
  }
}

function ruleWant(input: AutoscaleInput, w: Work, t: Thresholds): Want {
  const r = w.rule;
  if (w.cpu === 'stale') {
    if (input.policy.global.on_missing_metrics === 'scale_up' && w.live > 0) {
      return { dir: 'up', step: r.scale_up_step, label: 'metrics missing', detail: 'metrics missing (on_missing_metrics: scale_up)' };
    }
    return { dir: 'hold', step: 0, label: 'metrics missing', detail: w.live === 0 ? 'no nodes' : 'metrics missing: holding' };
  }
  const c = cpuText(w.cpu);
  if (w.cpu > r.scale_up_cpu) {
    return { dir: 'up', step: r.scale_up_step, label: `cpu=${c}`, detail: `cpu=${c} > ${t.up}` };
  }
  if (w.cpu < r.scale_down_cpu) {
    return { dir: 'down', step: r.scale_down_step, label: `cpu=${c}`, detail: `cpu=${c} < ${t.down}` };
  }
  return { dir: 'hold', step: 0, label: `cpu=${c}`, detail: `cpu=${c} within ${t.down}..${t.up}` };
}

/** scale_up_cpu and scale_down_cpu as reasons print them. */
interface Thresholds {
  up: string;
  down: string;
}

const thresholdText = (rule: AutoscaleRegion): Thresholds => ({ up: cpuText(rule.scale_up_cpu), down: cpuText(rule.scale_down_cpu) });

// Policies are never changed in place (a new commit brings new objects), and every pass would
// otherwise sort the same region names and print the same thresholds for every region again.
const policyTexts = new WeakMap<AutoscalePolicy, { regionNames: string[]; thresholds: Thresholds[] }>();

/** The policy's region names, sorted, and each one's thresholds as text. */
function policyText(policy: AutoscalePolicy): { regionNames: string[]; thresholds: Thresholds[] } {
  let t = policyTexts.get(policy);
  if (!t) {
    const regionNames = Object.keys(policy.regions).sort();
    const thresholds = regionNames.map((r) => {
      const rule = policy.regions[r];
      return rule ? thresholdText(rule) : { up: '', down: '' };
    });
    policyTexts.set(policy, (t = { regionNames, thresholds }));
  }
  return t;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
