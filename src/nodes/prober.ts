// The active prober: probes every target at its health interval, with jitter so thousands
// of nodes are not probed in bursts, and with a cap on probes in flight so a region that
// hangs (every probe waiting for its timeout) cannot exhaust sockets. Between probes it
// holds one idle connection to each node that passed its last probe (connection-watch.ts):
// when that connection closes, the node is probed at once rather than at its next interval.
import { errorText } from '../errors.js';
import type { HealthCheck } from '../config/index.js';
import { openTcpWatch, type OpenWatch, type Watch } from './connection-watch.js';
import { probeOnce, type ProbeOutcome } from './probe.js';

/** One node to probe, named as in the registry. */
export interface ProbeTarget {
  name: string;
  host: string;
  health: HealthCheck;
}

/** Dependencies and knobs of the prober; everything with a clock or randomness is injectable for tests. */
export interface ProberOptions {
  targets: () => ProbeTarget[];
  onResult: (name: string, outcome: ProbeOutcome) => void;
  concurrency?: number;
  tickMs?: number;
  random?: () => number;
  probe?: (host: string, health: HealthCheck) => Promise<ProbeOutcome>;
  now?: () => number;
  /** Gets what `onResult` or `targets` throw; the prober keeps running. Default: a process warning. */
  onError?: (err: unknown) => void;
  /** Opens the connection held to a node between probes; false holds none (probes only). Default: a TCP connection. */
  watch?: OpenWatch | false;
}

interface Entry {
  target: ProbeTarget;
  due: number;
  inFlight: boolean;
  /** The connection held to the node, and the address it goes to. */
  watch?: { handle: Watch; address: string };
  /** When the last watch was opened: at most one per interval, so a node that drops idle connections costs one extra probe an interval at most. */
  watchOpenedAt: number;
  /** The watch closed while a probe was in flight: probe again as soon as it is back. */
  recheck: boolean;
}

/** Jitter of each next probe, as a fraction of the interval either way. */
export const PROBE_JITTER = 0.1;

/** Schedules active probes of a changing set of targets; start() to run, stop() to end. */
export class Prober {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Set<Promise<void>>();
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly tickMs: number;
  private readonly random: () => number;
  private readonly probe: (host: string, health: HealthCheck) => Promise<ProbeOutcome>;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly openWatch: OpenWatch | false;

  constructor(private readonly opts: ProberOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 64);
    this.tickMs = Math.max(1, opts.tickMs ?? 100);
    this.random = opts.random ?? Math.random;
    this.probe = opts.probe ?? probeOnce;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? ((err) => process.emitWarning(`prober: ${errorText(err)}`));
    this.openWatch = opts.watch ?? openTcpWatch;
  }

  /** Starts ticking; calling it again while running does nothing. */
  start(): void {
    if (this.timer) return;
    // Not keeping the process alive: the server that owns the prober does that.
    this.timer = setInterval(() => this.tick(), this.tickMs).unref();
    this.tick();
  }

  /** Stops scheduling and resolves once the probes already in flight have reported. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.queue = [];
    while (this.running.size > 0) await Promise.all(this.running);
    for (const entry of this.entries.values()) this.unwatch(entry);
  }

  /** probes in flight */
  get inFlight(): number {
    return this.running.size;
  }

  // Re-reads the targets (nodes come and go), then queues whatever is due, most overdue first.
  private tick(): void {
    const now = this.now();
    let targets: ProbeTarget[];
    try {
      targets = this.opts.targets();
    } catch (err) {
      this.onError(err);
      return;
    }
    const seen = new Set<string>();
    for (const target of targets) {
      seen.add(target.name);
      const entry = this.entries.get(target.name);
      if (entry) {
        entry.target = target;
        // A node that moved (or whose health port changed) is watched again after its next pass.
        if (entry.watch && entry.watch.address !== watchAddress(target)) this.unwatch(entry);
      }
      // A random first offset within one interval spreads targets that appear together
      // (a restart of xplane, a batch of new nodes) over the whole interval.
      else
        this.entries.set(target.name, {
          target,
          due: now + this.random() * target.health.interval,
          inFlight: false,
          watchOpenedAt: Number.NEGATIVE_INFINITY,
          recheck: false,
        });
    }
    for (const [name, entry] of this.entries) {
      if (seen.has(name)) continue;
      this.unwatch(entry);
      this.entries.delete(name);
    }

    this.queue = [...this.entries.values()].filter((e) => !e.inFlight && e.due <= now).sort((a, b) => a.due - b.due);
    this.pump();
  }

  // Starts queued probes while there is room; also called when a probe finishes, so a backlog
  // drains at the speed of the probes rather than of the tick.
  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift();
      if (!entry || entry.inFlight || this.entries.get(entry.target.name) !== entry) continue;
      this.launch(entry);
    }
  }

  private launch(entry: Entry): void {
    const { name, host, health } = entry.target;
    const started = this.now();
    entry.inFlight = true;
    // Scheduled from the start, so the cadence does not drift by the probe's duration.
    entry.due = started + health.interval * (1 + PROBE_JITTER * (2 * this.random() - 1));
    const failed = (err: unknown): ProbeOutcome => ({ ok: false, hard: false, detail: errorText(err), ms: this.now() - started });
    let attempt: Promise<ProbeOutcome>;
    try {
      attempt = this.probe(host, health);
    } catch (err) {
      // A probe that throws before returning its promise fails like one that rejects.
      attempt = Promise.resolve(failed(err));
    }
    const run = attempt
      .catch(failed)
      .then((outcome) => {
        entry.inFlight = false;
        // A target removed (or replaced) meanwhile is forgotten: its result would describe a node that is gone.
        if (this.entries.get(name) !== entry) return;
        try {
          this.opts.onResult(name, outcome);
        } catch (err) {
          this.onError(err);
        }
        if (!this.timer) return;
        if (entry.recheck) {
          // The watch closed during this probe, which may have been answered just before the node died.
          entry.recheck = false;
          entry.due = this.now();
          this.queue.push(entry);
        } else if (outcome.ok) this.watch(entry);
        else this.unwatch(entry);
      })
      .finally(() => {
        this.running.delete(run);
        if (this.timer) this.pump();
      });
    this.running.add(run);
  }

  // Holds a connection to a node that just passed, unless one is open or one was opened less than an interval ago.
  private watch(entry: Entry): void {
    if (this.openWatch === false || entry.watch) return;
    const now = this.now();
    const { target } = entry;
    if (now - entry.watchOpenedAt < target.health.interval) return;
    entry.watchOpenedAt = now;
    const address = watchAddress(target);
    const handle = this.openWatch(bareHost(target.host), target.health.port, target.health.timeout, () => {
      if (entry.watch?.handle !== handle) return;
      entry.watch = undefined;
      this.probeNow(entry);
    });
    entry.watch = { handle, address };
  }

  private unwatch(entry: Entry): void {
    entry.watch?.handle.close();
    entry.watch = undefined;
  }

  // The node's connection closed: probe it now, or right after the probe in flight.
  private probeNow(entry: Entry): void {
    if (!this.timer || this.entries.get(entry.target.name) !== entry) return;
    if (entry.inFlight) {
      entry.recheck = true;
      return;
    }
    entry.due = this.now();
    this.queue.unshift(entry);
    this.pump();
  }
}

function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function watchAddress(target: ProbeTarget): string {
  return `${target.host}:${target.health.port}`;
}
