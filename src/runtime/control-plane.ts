// Wires the long-running reconciler of `xplane serve`: store, sync loop,
// node registry, active prober, metrics and the HTTP API. Every part is
// built here and passed into the next, so each stays testable alone.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigInForce, GitMirror, GitopsSync, GitWriter, parseIdentity, type SyncOutcome } from '../gitops/index.js';
import { inlineConverger, type InlineConverger } from '../converge/inline.js';
import { DnsServer, RecordStore } from '../dns/index.js';
import { CONTROLLER_LEASE, Leadership, newReplicaId, type LeaderView } from '../leader/index.js';
import { Reconciler } from '../reconcile/index.js';
import { ServiceStatus } from '../reconcile/status.js';
import type { Logger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry, Prober, StoreDownView } from '../nodes/index.js';
import { buildApp, listen, loadTokens, type ForwardTarget, type ServerTokens } from '../server/index.js';
import type { Settings } from '../settings/index.js';
import { openStore, redactUrl, type Store } from '../store/index.js';

/** A running control plane. */
export interface ControlPlane {
  url: string;
  app: FastifyInstance;
  store: Store;
  registry: NodeRegistry;
  sync: GitopsSync;
  metrics: Metrics;
  tokens: ServerTokens;
  reconciler: Reconciler;
  /** This replica's side of the leader election. */
  leadership: Leadership;
  /** Where the embedded DNS server answers (host:port), or null. */
  dnsAddress: string | null;
  /** The inline converger of `converge: inline`, or null (made when this replica first leads). */
  readonly inline: InlineConverger | null;
  /** Stops every part, persisting the registry, in reverse order of start. */
  stop(): Promise<void>;
}

/** Where the control plane reads its tokens. */
export interface ControlPlaneOptions {
  env?: Record<string, string | undefined>;
}

/** XPLANE_WEBHOOK_SECRET, or the contents of the file XPLANE_WEBHOOK_SECRET_FILE names. */
function webhookSecret(env: Record<string, string | undefined>): string | undefined {
  if (env.XPLANE_WEBHOOK_SECRET) return env.XPLANE_WEBHOOK_SECRET;
  if (env.XPLANE_WEBHOOK_SECRET_FILE) return readFileSync(env.XPLANE_WEBHOOK_SECRET_FILE, 'utf8').trim() || undefined;
  return undefined;
}

/** Where a follower sends /v1/*: itself when it leads, the leader's address, or nowhere yet. */
function forwardTarget(view: LeaderView): ForwardTarget {
  if (view.role === 'leader') return { kind: 'local' };
  if (view.role === 'follower') return { kind: 'leader', url: view.leader.address };
  return { kind: 'none', reason: view.reason };
}

/** Starts the control plane described by `settings`. */
export async function startControlPlane(settings: Settings, log: Logger, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const env = options.env ?? process.env;
  const store = await openStore(settings.db);
  const stops: (() => Promise<void>)[] = [() => store.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown step failed');
      }
    }
  };
  try {
    // Generated tokens live beside the work dir (default .xplane/), whatever form the db setting takes.
    const stateDir = dirname(resolve(settings.workdir));
    const { tokens, generated } = loadTokens({ env, stateDir });
    for (const path of generated) log.warn({ path }, `generated a token in ${path} (set XPLANE_BOOTSTRAP_TOKEN / XPLANE_ADMIN_TOKEN or their _FILE forms in production)`);

    const inForce = new ConfigInForce(store);
    await inForce.refresh();
    const mirror = new GitMirror(settings.repo, settings.branch, settings.workdir);
    const sync = new GitopsSync({ mirror, store, log });
    const author = parseIdentity(settings.author);

    // Only the leader runs the registry, sync, prober and controllers; the
    // objects live for the whole process and start and stop with each term.
    let closing = false;
    let leadership: Leadership | null = null;
    const replicaId = newReplicaId();
    const leads = (): boolean => leadership?.isLeader === true;
    // The fencing token of the term this replica leads (kept through a clean shutdown's last write).
    let termToken: number | null = null;
    const registry = new NodeRegistry({
      store,
      log,
      config: () => inForce.declarations,
      probing: settings.probe,
      mayPersist: () => leads() || closing,
      fence: () => (termToken === null ? undefined : { lease: CONTROLLER_LEASE, holder: replicaId, token: termToken }),
    });

    const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: leads });
    let lastSync: SyncOutcome | null = null;
    let gitError: string | null = null;
    sync.onOutcome((outcome) => {
      lastSync = outcome;
      gitError = outcome.status === 'error' ? outcome.message : null;
      if (outcome.status === 'changed' || outcome.status === 'unchanged') {
        metrics.syncLastSuccess.set(Date.now() / 1000);
        metrics.configValid.set(1);
      } else if (outcome.status === 'invalid') {
        metrics.configValid.set(0);
      }
      if (outcome.status === 'changed') void inForce.refresh().then(() => reconciler.trigger());
    });
    // Before a push: the node states the commit rests on are in the store (a leader killed after its push
    // must not leave the next one deciding from older states), and this replica still holds the lease.
    const fence = async (): Promise<void> => {
      await registry.persistState();
      await leadership?.fence();
    };
    const writer = new GitWriter({ mirror, author, push: settings.push, log, fence });
    const reconciler = new Reconciler({
      store,
      registry,
      inForce,
      mirror,
      writer,
      metrics,
      log,
      botEmail: author.email,
      dryRun: settings.dry_run,
      panicThreshold: settings.panic_threshold,
      // Self-protection: a leader that lost its store or its Git remote freezes evictions.
      health: () => {
        const storeError = leadership?.storeError ?? null;
        return { store: storeError === null, git: gitError === null, reason: storeError ?? gitError ?? undefined };
      },
    });
    // Level-triggered: events only make the next pass come sooner.
    registry.onTransition(() => reconciler.trigger());
    const status = new ServiceStatus({ store, inForce, registry, reconciler });
    const prober = settings.probe
      ? new Prober({ targets: () => registry.probeTargets(), onResult: (name, outcome) => registry.applyProbe(name, outcome) })
      : null;

    let view: () => LeaderView = () => ({ role: 'none', reason: 'starting' });
    const app = await buildApp({
      registry,
      metrics,
      tokens,
      log,
      registerPerMinute: settings.register_per_minute,
      serviceStatus: (service) => status.get(service),
      webhook: { secret: webhookSecret(env), trigger: () => sync.trigger() },
      publicMetrics: settings.metrics_public,
      forward: { target: () => forwardTarget(view()), replicaId, replicaSecret: tokens.admin, onLeaderGone: () => leadership?.poke() },
      notReadyReason: async () => {
        const role = view();
        if (role.role === 'none') return `no leader: ${role.reason}`;
        if (role.role === 'follower') return null;
        if (!inForce.snapshot) {
          const outcome = lastSync as SyncOutcome | null;
          return outcome?.status === 'error' || outcome?.status === 'invalid'
            ? `no configuration in force: last sync ${outcome.status}`
            : 'no configuration in force yet';
        }
        return null;
      },
    });
    const url = await listen(app, settings.listen);
    stops.push(() => app.close());

    // The local provider's data plane: answers from the record files converge
    // writes, leaving out nodes the registry has marked down at once (contract §8).
    // The registry lives on the leader; a follower asks the store, where the
    // leader writes state changes within a second.
    let dnsAddress: string | null = null;
    const downView = new StoreDownView({ store, log });
    if (settings.dns_listen !== 'off') {
      const zones = Object.values(inForce.declarations?.gtm ?? {})
        .filter((g) => g.dns.provider === 'local')
        .map((g) => g.dns.zone);
      const dns = new DnsServer({
        records: new RecordStore({ dir: resolve(settings.dns_dir), log, zones }),
        isDown: (node) => {
          const known = registry.record(node);
          return known ? known.state === 'down' : downView.isDown(node);
        },
        log,
      });
      try {
        const ports = await dns.listen(settings.dns_listen);
        dnsAddress = `${settings.dns_listen.replace(/:\d+$/, '')}:${ports.udp}`;
        stops.push(() => dns.close());
        downView.start();
        stops.push(() => downView.stop());
        log.info({ dns: dnsAddress, dir: settings.dns_dir }, `xplane serve: DNS on ${dnsAddress} (udp+tcp)`);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err), dns: settings.dns_listen }, 'xplane serve: the embedded DNS server could not start; continuing without it');
      }
    }

    if (settings.converge !== 'ci' && settings.converge !== 'inline') throw new Error(`converge: expected ci or inline, got "${settings.converge}"`);
    let inline: InlineConverger | null = null;
    const startTerm = async (token: number): Promise<void> => {
      termToken = token;
      await inForce.refresh();
      await registry.reset();
      await registry.load();
      await downView.stop();
      registry.start();
      prober?.start();
      sync.start(settings.sync_interval);
      if (settings.converge === 'inline') {
        // The playground's mode: serve converges the stacks itself after each commit.
        if (!inline) {
          inline = await inlineConverger({ remote: settings.repo, branch: settings.branch, workdir: resolve(settings.workdir), bootstrapToken: tokens.bootstrap, serverUrl: url, log, env });
          sync.onOutcome((outcome) => {
            if (outcome.status === 'changed') inline?.trigger();
          });
        }
        const converger = inline;
        void converger
          .convergeAll()
          .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'inline converge: the first converge failed'))
          .finally(() => {
            if (leads()) converger.start();
          });
      }
      await reconciler.beginTerm();
      reconciler.start(settings.reconcile_interval);
    };
    const endTerm = async (): Promise<void> => {
      await reconciler.stop();
      await inline?.stop();
      await sync.stop();
      await prober?.stop();
      // On a clean shutdown the lease is still ours until released: write everything out.
      if (closing) await registry.stop();
      else await registry.reset();
      termToken = null;
      if (!closing && dnsAddress !== null) downView.start();
    };
    const advertise = settings.advertise === 'auto' ? url : settings.advertise;
    const election = new Leadership({ store, log, id: replicaId, address: advertise, ttlMs: settings.lease_ttl, onElected: startTerm, onDeposed: endTerm });
    leadership = election;
    view = () => election.view();
    stops.push(async () => {
      closing = true;
      await election.stop();
    });
    await election.start();
    const role = election.view();
    log.info(
      { url, repo: settings.repo, branch: settings.branch, db: redactUrl(settings.db), replica: election.id, role: role.role },
      `xplane serve: API on ${url} (${role.role === 'leader' ? 'leader' : role.role === 'follower' ? `follower of ${role.leader.address}` : 'no leader yet'})`,
    );
    return {
      url,
      app,
      store,
      registry,
      sync,
      metrics,
      tokens,
      reconciler,
      leadership: election,
      dnsAddress,
      get inline() {
        return inline;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
