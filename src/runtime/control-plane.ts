// Wires the long-running reconciler of `xplane serve`: store, sync loop,
// node registry, active prober, metrics, the HTTP API, the embedded DNS and
// the election. Every part is built here once and passed into the next, so
// each stays testable alone; what starts and stops with leadership is the
// LeaderTerm's (leader-term.ts).
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inlineConverger, type InlineConverger } from '../converge/index.js';
import { ConfigInForce, GitMirror, GitopsSync, GitWriter, configView, parseIdentity } from '../gitops/index.js';
import { Leadership, newReplicaId } from '../leader/index.js';
import type { Logger } from '../log/index.js';
import { Metrics } from '../metrics/index.js';
import { NodeRegistry, Prober, StoreDownView } from '../nodes/index.js';
import { Reconciler, ServiceStatus } from '../reconcile/index.js';
import { buildApp, listen, loadTokens, loadWebhookSecret, type ServerTokens } from '../server/index.js';
import type { Settings } from '../settings/index.js';
import { openStore, redactUrl, type Store } from '../store/index.js';
import { MetricsRecorder } from '../trace/index.js';
import { startEmbeddedDns } from './embedded-dns.js';
import { controlPlaneHealth, notReadyReason } from './health.js';
import { LeaderTerm } from './leader-term.js';
import { Replica, forwardTarget } from './replica.js';
import { ShutdownSteps } from './shutdown-steps.js';

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

/** Starts the control plane described by `settings`. */
export async function startControlPlane(settings: Settings, log: Logger, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const env = options.env ?? process.env;
  const store = await openStore(settings.db);
  const stops = new ShutdownSteps(log);
  stops.push(() => store.close());
  // What each pass saw, for `xplane metrics export` and `xplane simulate`; written out before the store closes.
  const recorder = new MetricsRecorder({
    store,
    log,
    stepMs: settings.reconcile_interval,
    retentionMs: settings.metrics_retention,
    maxRows: settings.metrics_max_rows,
  });
  stops.push(() => recorder.flush());
  try {
    // Generated tokens live beside the work dir (default .xplane/), whatever form the db setting takes.
    const stateDir = dirname(resolve(settings.workdir));
    const { tokens, generated } = loadTokens({ env, stateDir });
    for (const path of generated)
      log.warn({ path }, `generated a token in ${path} (set XPLANE_BOOTSTRAP_TOKEN / XPLANE_ADMIN_TOKEN or their _FILE forms in production)`);

    const inForce = new ConfigInForce(store);
    await inForce.refresh();
    const mirror = new GitMirror(settings.repo, settings.branch, settings.workdir);
    const sync = new GitopsSync({ mirror, store, log });
    const author = parseIdentity(settings.author);

    // Only the leader runs the registry, sync, prober and controllers; the
    // objects live for the whole process and start and stop with each term.
    const replica = new Replica(newReplicaId());
    const registry = new NodeRegistry({
      store,
      log,
      config: () => inForce.declarations,
      probing: settings.probe,
      mayPersist: () => replica.mayWriteNodes(),
      fence: () => replica.writeFence(),
    });

    const metrics = new Metrics({ nodeCounts: () => registry.counts(), heartbeatCount: () => registry.heartbeatCount, isLeader: () => replica.leads() });
    // Before a push: the node states the commit rests on are in the store (a leader killed after its push
    // must not leave the next one deciding from older states), and this replica still holds the lease.
    const fence = async (): Promise<void> => {
      await registry.persistState();
      await replica.holdsLease();
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
      health: () => controlPlaneHealth(replica.storeError, sync.lastOutcome),
      observe: (seen) => recorder.observe(seen),
    });
    sync.onOutcome((outcome) => {
      if (outcome.status === 'changed' || outcome.status === 'unchanged') {
        metrics.syncLastSuccess.set(Date.now() / 1000);
        metrics.configValid.set(1);
      } else if (outcome.status === 'invalid') {
        metrics.configValid.set(0);
      }
      if (outcome.status === 'changed') void inForce.refresh().then(() => reconciler.trigger());
    });
    // Level-triggered: events only make the next pass come sooner.
    registry.onTransition(() => reconciler.trigger());
    const status = new ServiceStatus({ store, inForce, registry, reconciler });
    const prober = settings.probe
      ? new Prober({ targets: () => registry.probeTargets(), onResult: (name, outcome) => registry.applyProbe(name, outcome) })
      : null;

    const app = await buildApp({
      registry,
      metrics,
      tokens,
      log,
      registerPerMinute: settings.register_per_minute,
      serviceStatus: (service) => status.get(service),
      decisions: (filter) => store.listDecisions(filter),
      configView: () => configView(inForce, store),
      webhook: { secret: loadWebhookSecret(env), trigger: () => sync.trigger() },
      publicMetrics: settings.metrics_public,
      forward: { target: () => forwardTarget(replica.view()), replicaId: replica.id, replicaSecret: tokens.admin, onLeaderGone: () => replica.poke() },
      notReadyReason: () => Promise.resolve(notReadyReason(replica.view(), () => Boolean(inForce.snapshot), sync.lastOutcome)),
    });
    const url = await listen(app, settings.listen);
    stops.push(() => app.close());

    const downView = new StoreDownView({ store, log });
    const dnsAddress =
      settings.dns_listen === 'off'
        ? null
        : await startEmbeddedDns({
            listen: settings.dns_listen,
            nameServers: settings.dns_nameservers,
            onReply: (rcode) => metrics.dnsQueries.inc({ rcode }),
            dir: settings.dns_dir,
            declarations: inForce.declarations,
            registry,
            downView,
            stops,
            log,
          });

    if (settings.converge !== 'ci' && settings.converge !== 'inline') throw new Error(`converge: expected ci or inline, got "${settings.converge}"`);
    const term = new LeaderTerm({
      replica,
      inForce,
      registry,
      downView,
      dnsRunning: dnsAddress !== null,
      prober,
      sync,
      reconciler,
      makeInline:
        settings.converge === 'inline'
          ? () =>
              inlineConverger({
                remote: settings.repo,
                branch: settings.branch,
                workdir: resolve(settings.workdir),
                bootstrapToken: tokens.bootstrap,
                serverUrl: url,
                log,
                env,
              })
          : null,
      syncIntervalMs: settings.sync_interval,
      reconcileIntervalMs: settings.reconcile_interval,
      log,
    });
    const advertise = settings.advertise === 'auto' ? url : settings.advertise;
    const election = new Leadership({
      store,
      log,
      id: replica.id,
      address: advertise,
      ttlMs: settings.lease_ttl,
      onElected: (token) => term.begin(token),
      onDeposed: () => term.end(),
    });
    replica.attach(election);
    stops.push(async () => {
      replica.close();
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
        return term.inline;
      },
      stop: () => stops.run(),
    };
  } catch (err) {
    await stops.run();
    throw err;
  }
}
