// The reconciler: one pass reads the desired state (declarations in force,
// the stack files at the remote head) and the current state (the node
// registry), runs both controllers, and — only if a value changes — commits
// the new stack config in one commit and pushes it. Side effects on the
// registry (drain, delete) happen only after the push landed. It also keeps
// the self-protection signals (safety.ts) that only IO can see: the health
// probe and its own failures on the store and on Git, and turns freezes into
// log lines and the xplane_self_protection gauge. Git is reached only
// through the GitRemote seam (the writer writes through the same one), and a
// Git failure is told apart by its class (remoteFailure), not its message.
import { errorText } from '../errors.js';
import type { Pool } from '../config/index.js';
import { commitMessage, type Decision } from '../decision/index.js';
import { RemoteMovedError, findHumanChanges, remoteFailure, type ConfigInForce, type GitRemote, type GitWriter, type WriteOutcome } from '../gitops/index.js';
import type { Logger } from '../log/index.js';
import { LoopSlot, done, type PassResult } from '../loop/index.js';
import type { Metrics } from '../metrics/index.js';
import type { NodeRegistry } from '../nodes/index.js';
import { StackCache, applyPoolPatches, readPools, type ParsedStack } from '../stacks/index.js';
import type { DecisionRecord, Store } from '../store/index.js';
import { gatherFacts, type SeenPass } from './facts.js';
import { RESTORE_DECISIONS, memoryFromDecisions } from './memory-from-decisions.js';
import { emptyMemory, rememberChanges, type LoopMemory } from './memory.js';
import { patchesByRegion, planPass, type PassPlan } from './plan.js';
import { DEFAULT_PANIC_THRESHOLD, FAILURES_TO_FREEZE, checkPanicThreshold, type ControlPlaneHealth, type Freeze, type FreezeReason } from './safety.js';

/** Dependencies of the reconciler, all built outside. */
export interface ReconcilerDeps {
  store: Store;
  registry: NodeRegistry;
  inForce: ConfigInForce;
  /** The GitOps remote the pass reads (stack files, history); the same one `writer` writes. */
  mirror: GitRemote;
  writer: GitWriter;
  metrics: Metrics;
  log: Logger;
  /** The loop's own author email: its commits are not human overrides. */
  botEmail: string;
  /** Compute and log, write nothing. */
  dryRun: boolean;
  now?: () => number;
  /** Share of a service's nodes that may go down at once before its evictions freeze (panic_threshold, default 0.5). */
  panicThreshold?: number;
  /** Whether the control plane still has its store and its Git remote; a `false` freezes every service's evictions. */
  health?: () => ControlPlaneHealth;
  /** Told what each pass saw before it planned (not `preview`): the metrics history records it. Must not throw or block. */
  observe?: (seen: SeenPass) => void;
}

/** What the last pass concluded, for the status API. */
export interface PassReport {
  at: number;
  head: string | null;
  commit: string | null;
  plan: PassPlan | null;
  error: string | null;
}

/** A preview of what a pass would commit, for `xplane plan`. */
export interface PlanPreview {
  head: string;
  decisions: Decision[];
  message: string | null;
  diff: string;
}

const STACK_PREFIX = 'stacks/Pulumi.';
const DEFAULT_HOLD_MS = 30 * 60_000;

/** A store call of a pass failed: the pass counts toward the store being lost. */
class StoreCallFailed extends Error {
  constructor(cause: unknown) {
    super(errorText(cause), { cause });
  }
}

/** One try of a pass: the plan it made on a head. */
interface Attempt {
  plan: PassPlan;
  head: string;
}

async function fromStore<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw new StoreCallFailed(err);
  }
}

/** Runs controller passes; see the file comment. */
export class Reconciler {
  private memory: LoopMemory = emptyMemory();
  /** Stack files parsed at earlier passes, by blob id: most passes find every file unchanged. */
  private readonly stacks = new StackCache();
  private lastScanned: string | null = null;
  private readonly slot: LoopSlot;
  private report: PassReport | null = null;
  private readonly panicThreshold: number;
  /** Passes in a row that failed on the store, and that could not fetch from the Git remote. */
  private readonly failures = { store: 0, git: 0 };
  /** The freezes the gauge and the logs show, per service. */
  private readonly published = new Map<string, Freeze>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.panicThreshold = checkPanicThreshold(deps.panicThreshold ?? DEFAULT_PANIC_THRESHOLD);
    this.slot = new LoopSlot({ name: 'reconcile', minGapMs: 1_000, log: deps.log, pass: () => this.pass() });
  }

  /** The service's self-protection freeze as last published, or undefined when its controllers may act. */
  freezeOf(service: string): Freeze | undefined {
    return this.published.get(service);
  }

  /** The outcome of the most recent pass. */
  get lastReport(): PassReport | null {
    return this.report;
  }

  /**
   * Starts a leadership term, while the loop is stopped: drops what earlier terms remembered (another
   * leader may have acted since) and restores the cooldown and weight-change times from the store's
   * decision log (memory-from-decisions.ts), so a failover does not let a region change sooner than
   * its policy allows. Override scanning starts again after the newest decision's commit. A store
   * that does not answer fails the start: the term is given up rather than run without timers.
   */
  async beginTerm(): Promise<void> {
    let decisions: DecisionRecord[];
    try {
      decisions = await this.deps.store.listDecisions({ limit: RESTORE_DECISIONS });
    } catch (err) {
      throw new Error(`reconcile: cannot read the decision log to restore cooldowns (${errorText(err)})`, { cause: err });
    }
    this.memory = memoryFromDecisions(decisions, this.now());
    this.lastScanned = null;
    this.deps.log.info(
      { decisions: decisions.length, cooldowns: this.memory.lastScale.size, weightChanges: this.memory.lastWeight.size },
      `reconcile: new term; restored ${this.memory.lastScale.size} scale and ${this.memory.lastWeight.size} weight change time(s) from the newest ${decisions.length} decision(s)`,
    );
  }

  /** Runs passes every `intervalMs`, sooner on `trigger()`, one at a time. */
  start(intervalMs: number): void {
    this.slot.start(intervalMs);
  }

  /** Asks for a pass soon (a sync or node event happened). */
  trigger(): void {
    this.slot.trigger();
  }

  /** Stops the loop after the running pass. */
  async stop(): Promise<void> {
    await this.slot.stop();
  }

  /** One pass: plan on the remote head, commit and push if anything changes, then apply side effects. */
  async pass(): Promise<PassResult> {
    const { deps } = this;
    const started = process.hrtime.bigint();
    if (!deps.inForce.declarations) return done;
    try {
      const { outcome, last } = await this.planAndWrite();
      const commit = outcome.status === 'pushed' || outcome.status === 'unpushed' ? outcome.commit : null;
      if (outcome.status === 'gave-up') throw new RemoteMovedError(outcome.attempts);
      // Only a pushed commit happened: with push off, nothing is drained, deleted or recorded.
      if (last && commit && outcome.status === 'pushed') await this.landed(last.plan, commit);
      if (outcome.status === 'unpushed') deps.log.info({ commit }, `reconcile: committed ${commit?.slice(0, 7)} locally (push is off); refs/xplane/unpushed`);
      this.report = { at: this.now(), head: last?.head ?? null, commit, plan: last?.plan ?? null, error: null };
      if (last) this.publishGauges(last.plan);
      this.failures.store = 0;
      this.failures.git = 0;
      this.publishFreezes();
      return done;
    } catch (error) {
      const git = remoteFailure(error);
      if (git) deps.metrics.gitPushFailures.inc();
      // Lost means unreachable: only a failed fetch counts. A pass whose push failed (refused, a
      // remote that kept moving) fetched first, so the remote answered; counting refusals would make
      // a remote that only refuses pushes flap between frozen and not as frozen passes succeed.
      if (error instanceof StoreCallFailed) this.failures.store += 1;
      else if (git === 'fetch') this.failures.git += 1;
      else if (git === 'push') this.failures.git = 0;
      this.report = { at: this.now(), head: null, commit: null, plan: null, error: errorText(error) };
      this.publishFreezes();
      return { kind: 'error', error };
    } finally {
      deps.metrics.reconcileDuration.observe({ controller: 'pass' }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Plans on the remote head and hands the commit to the writer. Every try plans from the memory
   * the pass began with: a push rejected because the remote moved re-plans on the new head exactly
   * as the first try did. The last try's next memory is kept whatever became of its commit (landed,
   * kept local, refused, given up): what a pass saw (first-seen times, stabilization, the panic
   * baseline, freezes) is true either way; the times of what it changed are added only once its
   * commit has landed (landed).
   */
  private async planAndWrite(): Promise<{ outcome: WriteOutcome; last: Attempt | null }> {
    const { deps } = this;
    const memory = this.memory;
    let last: Attempt | null = null;
    try {
      const outcome = await deps.writer.write(async (head) => {
        const built = await this.build(head, memory);
        last = { plan: built.plan, head };
        if (built.plan.decisions.length === 0) return null;
        for (const d of built.plan.decisions) deps.log.info({ decision: d }, d.summary);
        if (deps.dryRun) return null;
        return { files: built.files, message: commitMessage(built.plan.decisions) };
      });
      return { outcome, last };
    } finally {
      const planned = last as Attempt | null;
      if (planned) this.memory = planned.plan.nextMemory;
    }
  }

  /** What a pass would commit now, without writing anything to the remote or changing the loop's memory. */
  async preview(): Promise<PlanPreview> {
    const head = await this.deps.writer.fetchHead();
    const { plan, files } = await this.build(head, this.memory, { readOnly: true });
    if (plan.decisions.length === 0) return { head, decisions: [], message: null, diff: '' };
    const message = commitMessage(plan.decisions);
    const commit = await this.deps.writer.commit(head, { files, message });
    return { head, decisions: plan.decisions, message, diff: await this.deps.writer.diff(head, commit) };
  }

  /** Reads the stacks at `head` and the holds, gathers the fleet's facts and plans from `memory`. */
  private async build(head: string, memory: LoopMemory, options: { readOnly?: boolean } = {}): Promise<{ plan: PassPlan; files: Record<string, string> }> {
    const { deps } = this;
    const declarations = deps.inForce.declarations;
    if (!declarations) throw new Error('no configuration in force');
    const now = this.now();
    const blobs = await deps.mirror.readFiles(head, ['stacks']);
    const stacks = new Map<string, ParsedStack>();
    const pools: Record<string, Record<string, Pool>> = {};
    const oids: string[] = [];
    for (const blob of blobs) {
      if (!blob.path.startsWith(STACK_PREFIX) || !blob.path.endsWith('.yaml')) continue;
      const region = blob.path.slice(STACK_PREFIX.length, -'.yaml'.length);
      oids.push(blob.oid);
      try {
        const parsed = this.stacks.get(blob.oid, blob.text);
        stacks.set(region, parsed);
        pools[region] = readPools(parsed);
      } catch (err) {
        throw new Error(`${blob.path} at ${head.slice(0, 7)} cannot be read (${errorText(err)}); waiting for a fix`, { cause: err });
      }
    }
    this.stacks.keepOnly(oids);
    if (!options.readOnly) await this.recordOverrides(head, now);
    const holds = new Set((await fromStore(deps.store.listHolds(now))).map((h) => `${h.service}/${h.region}:${h.key}`));
    const facts = gatherFacts(deps.registry, { now, declarations, pools, memory });
    if (!options.readOnly) this.tell({ now, declarations, pools, facts });
    const plan = planPass({ now, declarations, pools, holds, memory, ...facts, panicThreshold: this.panicThreshold, health: this.health() });
    deps.metrics.reconcileDuration.observe({ controller: 'autoscale' }, plan.seconds.autoscale);
    deps.metrics.reconcileDuration.observe({ controller: 'gtm' }, plan.seconds.gtm);
    const files: Record<string, string> = {};
    for (const [region, patches] of Object.entries(patchesByRegion(plan.decisions))) {
      const before = stacks.get(region);
      const after = applyPoolPatches(before, region, patches);
      if (after !== before?.source) files[`${STACK_PREFIX}${region}.yaml`] = after;
    }
    if (Object.keys(files).length === 0 && plan.decisions.length > 0) {
      // Decisions that change no byte (e.g. a pool created with the values it has) are not worth a commit.
      return { plan: { ...plan, decisions: [] }, files };
    }
    return { plan, files };
  }

  // What a pass saw is worth recording, never worth failing the pass over.
  private tell(seen: SeenPass): void {
    try {
      this.deps.observe?.(seen);
    } catch (err) {
      this.deps.log.warn({ err: errorText(err) }, 'reconcile: the pass observer failed; the pass goes on');
    }
  }

  private async recordOverrides(head: string, now: number): Promise<void> {
    const { deps } = this;
    const declarations = deps.inForce.declarations;
    const holdFor = (service: string, key: string): number =>
      key === 'nodes'
        ? (declarations?.autoscale[service]?.global.override_hold ?? DEFAULT_HOLD_MS)
        : (declarations?.gtm[service]?.global.override_hold ?? DEFAULT_HOLD_MS);
    if (this.lastScanned === null) this.lastScanned = await this.scanBaseline(head);
    const changes = await findHumanChanges(deps.mirror, { from: this.lastScanned, to: head, since: 0, botEmail: deps.botEmail });
    for (const c of changes) {
      const until = c.time + holdFor(c.service, c.key);
      if (until <= now) continue;
      await fromStore(deps.store.putHold({ service: c.service, region: c.region, key: c.key, commit: c.commit, author: c.author, since: c.time, until }));
      deps.log.warn(
        { service: c.service, region: c.region, key: c.key, commit: c.commit, author: c.author, until: new Date(until).toISOString() },
        `override: ${c.author} changed ${c.service} ${c.region} ${c.key} in ${c.commit.slice(0, 7)}; the loop leaves it alone until ${new Date(until).toISOString()}`,
      );
    }
    this.lastScanned = head;
  }

  /**
   * Where override scanning starts: after the loop's own last commit, so
   * human commits made while xplane was down still count; on a first start
   * (no decision ever committed), the head itself — edits made before xplane
   * ran are the starting point, not overrides.
   */
  private async scanBaseline(head: string): Promise<string> {
    const [last] = await fromStore(this.deps.store.listDecisions({ limit: 1 }));
    if (last?.commit && (await this.deps.mirror.isAncestor(last.commit, head)) === true) return last.commit;
    return head;
  }

  private async landed(plan: PassPlan, commit: string): Promise<void> {
    const { deps } = this;
    const now = this.now();
    this.memory = rememberChanges(this.memory, plan.decisions, now);
    // The commit has landed: a side effect that fails now is logged, never undoes it.
    for (const name of plan.drain) {
      try {
        deps.registry.drain(name);
      } catch (err) {
        deps.log.warn({ node: name, err: errorText(err) }, `reconcile: could not mark ${name} draining`);
      }
    }
    for (const name of plan.removed) deps.registry.delete(name, `removed from the node list in ${commit.slice(0, 7)}`);
    const records: DecisionRecord[] = plan.decisions.map((d) => ({
      at: now,
      controller: d.controller,
      service: d.service,
      region: d.region,
      kind: d.kind,
      summary: d.summary,
      why: d.why,
      commit,
    }));
    await fromStore(deps.store.appendDecisions(records));
    for (const d of plan.decisions) deps.metrics.decisions.inc({ controller: d.controller, kind: d.kind });
    deps.metrics.gitCommits.inc();
    deps.log.info({ commit, decisions: plan.decisions.length }, `reconcile: pushed ${commit.slice(0, 7)} with ${plan.decisions.length} decision(s)`);
  }

  private publishGauges(plan: PassPlan): void {
    for (const [service, s] of Object.entries(plan.services)) {
      for (const [region, status] of Object.entries(s.gtm?.regions ?? {})) this.deps.metrics.regionWeight.set({ service, region }, status.weight);
      for (const [region, p] of Object.entries(s.autoscale?.regions ?? {})) this.deps.metrics.desiredNodes.set({ service, region }, p.desired);
    }
  }

  /**
   * What the pass knows of the control plane's health: the probe, and its own record. After
   * FAILURES_TO_FREEZE passes in a row failed on the store (or on Git), that is lost too, until a
   * pass succeeds end to end; so the first pass after an outage plans frozen.
   */
  private health(): ControlPlaneHealth {
    const probe = this.deps.health?.();
    const store = probe?.store !== false && this.failures.store < FAILURES_TO_FREEZE;
    const git = probe?.git !== false && this.failures.git < FAILURES_TO_FREEZE;
    const own =
      !store && probe?.store !== false
        ? `${this.failures.store} passes in a row failed on the store`
        : !git && probe?.git !== false
          ? `${this.failures.git} passes in a row failed on git`
          : undefined;
    return { store, git, reason: probe?.reason ?? own };
  }

  /**
   * Brings the gauge and the logs in line with the freezes in force: the last plan's, or, while
   * the store or Git is lost (and passes may not get as far as planning), every declared service.
   */
  private publishFreezes(): void {
    const { deps } = this;
    const health = this.health();
    const lost: FreezeReason | null = !health.store ? 'store' : !health.git ? 'git' : null;
    if (lost) {
      const decl = deps.inForce.declarations;
      const frozen = new Map(this.memory.frozen);
      for (const service of new Set([...Object.keys(decl?.gtm ?? {}), ...Object.keys(decl?.autoscale ?? {})])) {
        const prev = frozen.get(service);
        const detail = `the ${lost === 'store' ? 'store' : 'Git remote'} is lost${health.reason ? ` (${health.reason})` : ''}`;
        frozen.set(service, { reason: lost, since: prev?.reason === lost ? prev.since : this.now(), detail });
      }
      this.memory = { ...this.memory, frozen };
    }
    for (const [service, f] of this.memory.frozen) {
      const was = this.published.get(service);
      this.published.set(service, f);
      if (was?.reason === f.reason) continue;
      if (was) deps.metrics.selfProtection.set({ service, reason: was.reason }, 0);
      deps.metrics.selfProtection.set({ service, reason: f.reason }, 1);
      deps.log.warn(
        { service, reason: f.reason, since: new Date(f.since).toISOString(), detail: f.detail },
        `self-protection: ${service} frozen (${f.reason}: ${f.detail}); no exclusions, no weight cuts for down nodes, no scale-downs, replacements or removals until it clears`,
      );
    }
    for (const [service, was] of this.published) {
      if (this.memory.frozen.has(service)) continue;
      this.published.delete(service);
      deps.metrics.selfProtection.set({ service, reason: was.reason }, 0);
      deps.log.info(
        { service, reason: was.reason, frozenForMs: this.now() - was.since },
        `self-protection: ${service} resumes (${was.reason} cleared after ${Math.round((this.now() - was.since) / 1000)}s)`,
      );
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
