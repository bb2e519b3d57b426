// Test support for the reconciler's unit tests: the repo's example GitOps
// files in an in-memory Git remote, a store, the node registry on a test
// clock, and Reconcilers built on them. Only tests import this file; the build
// leaves it out. test/reconcile-git.test.ts runs the reconciler on real git.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigInForce, GitWriter, GitopsSync, MemoryRemote } from '../gitops/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry } from '../nodes/index.js';
import { MemoryStore, type Store } from '../store/index.js';
import { REPO_ROOT } from '../testing/index.js';
import { Reconciler, type ReconcilerDeps } from './reconciler.js';

/** The loop's commit author. */
export const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

/** The seed repo's stack file of a region, with `nodes` in its svc-plus pool. */
export function stack(region: 'jp' | 'sg', weight: number, nodes: string[]): string {
  return `config:\n  xplane:region: ${region}\n  xplane:pools:\n    svc-plus:\n      weight: ${weight}\n      nodes: [${nodes.join(', ')}]\n      excluded: []\n`;
}

/** This repo's example GitOps files (platform-config/, stacks/, Pulumi.yaml), by path. */
export function exampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else files[relative(REPO_ROOT, path)] = readFileSync(path, 'utf8');
  };
  for (const top of ['platform-config', 'stacks', 'Pulumi.yaml']) walk(join(REPO_ROOT, top));
  return files;
}

/** The parts a reconciler test works with. */
export interface Rig {
  remote: MemoryRemote;
  store: Store;
  registry: NodeRegistry;
  inForce: ConfigInForce;
  log: Logger;
  clock: { t: number };
  /** Agent tokens by node name. */
  tokens: Map<string, string>;
  /** A Reconciler on the rig's parts (each call a new one: another leader), with its own metrics. */
  reconciler(extra?: Partial<ReconcilerDeps>): { reconciler: Reconciler; metrics: Metrics };
}

/**
 * The example repo with `stacks` committed on top by a human, synced into `store` (default a
 * MemoryStore) so that its configuration is in force, and a registry on a clock that starts now.
 */
export async function rig(stacks: Record<string, string>, store: Store = new MemoryStore()): Promise<Rig> {
  const clock = { t: Date.now() };
  const remote = new MemoryRemote({ files: exampleFiles(), now: () => clock.t });
  remote.pushAs(stacks, 'the pools of this test');
  const log = silentLogger();
  await new GitopsSync({ mirror: remote, store, log }).syncOnce();
  const inForce = new ConfigInForce(store);
  await inForce.refresh();
  const registry = new NodeRegistry({ store, log, config: () => inForce.declarations, now: () => clock.t });
  const reconciler = (extra: Partial<ReconcilerDeps> = {}): { reconciler: Reconciler; metrics: Metrics } => {
    const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
    const writer = new GitWriter({ mirror: remote, author: BOT, push: true, log, backoffMs: 1 });
    return {
      reconciler: new Reconciler({
        store,
        registry,
        inForce,
        mirror: remote,
        writer,
        metrics,
        log,
        botEmail: BOT.email,
        dryRun: false,
        now: () => clock.t,
        ...extra,
      }),
      metrics,
    };
  };
  return { remote, store, registry, inForce, log, clock, tokens: new Map(), reconciler };
}

/** Registers a node (`jp-…` or `sg-…`) and passes two probes: it is active. */
export function activate(r: Rig, name: string): void {
  const region = name.slice(0, 2);
  r.tokens.set(name, r.registry.register({ service: 'svc-plus', region, address: `127.0.${region === 'jp' ? 2 : 3}.${name.slice(-1)}:8080`, name }).token);
  r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
  r.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
}

/** The nodes' agents report `cpu`. */
export function beat(r: Rig, cpu: number, ...names: string[]): void {
  for (const name of names) r.registry.heartbeat(r.tokens.get(name) ?? '', { name, cpu });
}

/** Hard probe failures: the nodes are down at once. */
export function fail(r: Rig, ...names: string[]): void {
  for (const name of names) r.registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
}

/** The message of the branch head, trimmed (as `git log -1 --format=%B`). */
export function lastMessage(r: Rig): string {
  return (r.remote.commitOf(r.remote.head)?.message ?? '').trim();
}
