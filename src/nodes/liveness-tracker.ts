// Applies the state machine of liveness.ts to the registry's nodes: what a
// registration, heartbeat, probe, drain or delete does to a node's state, the
// heartbeat-timeout sweep, and whether this term has heard of a node at all
// (a node loaded from the store is the last term's word until then). Every
// state change is logged, queued as a node event and published.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { BatchWriter } from './batch-writer.js';
import { step, type LivenessEvent, type Transition } from './liveness.js';
import type { LiveNode, NodeTable } from './node-table.js';
import type { ProbeOutcome } from './probe.js';
import type { ServicePolicy } from './service-policy.js';

/** A state change, as published to listeners (controllers trigger on these). */
export interface NodeTransition extends Transition {
  node: string;
  service: string;
  region: string;
  at: number;
}

/** How often the heartbeat timeout is checked (ms). */
const SWEEP_MS = 500;

/** Dependencies of a LivenessTracker. */
export interface LivenessTrackerOptions {
  nodes: NodeTable;
  policy: ServicePolicy;
  /** Where state changes and node events go to be persisted. */
  writer: BatchWriter;
  log: Logger;
  /** Wall clock for records and events. */
  now: () => number;
  /** Clock for heartbeat timeouts. */
  monotonic: () => number;
}

/** Moves nodes between states on what the registry hears, and publishes each move. */
export class LivenessTracker {
  private readonly listeners = new Set<(t: NodeTransition) => void>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: LivenessTrackerOptions) {}

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onTransition(listener: (t: NodeTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the heartbeat-timeout sweep. */
  start(): void {
    this.timers.push(setInterval(() => this.sweep(), SWEEP_MS));
    for (const t of this.timers) t.unref();
  }

  /** Stops the sweep. */
  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /**
   * A (re-)registration from `address`: a sign of life; a new node is `warm`, a known one starts
   * over — except a node the prober took down, which stays down until a probe passes.
   */
  registered(live: LiveNode, again: boolean, address: string, now: number): void {
    live.lastSeen = this.opts.monotonic();
    live.heard = true;
    if (!again) {
      this.publish(live, [{ from: 'warm', to: 'warm', cause: `registered from ${address}` }], now, true);
      return;
    }
    // A restarted agent (or a replacement process on the same address) proves a process, not a
    // node that serves: like its heartbeats, its registration does not undo a failed probe. The
    // embedded DNS answers a `warm` node still in its record file, so this keeps it from answering
    // with the address before anything has checked it.
    if (this.opts.policy.probed(live.record.service) && live.record.state === 'down' && live.lastProbeOk === false) return;
    this.apply(live, { kind: 'register' }, now);
  }

  /** A heartbeat: a sign of life, and a pass for a service the prober does not check. */
  heartbeat(live: LiveNode, now: number): void {
    live.lastSeen = this.opts.monotonic();
    live.heard = true;
    const probed = this.opts.policy.probed(live.record.service);
    // A node the prober took down stays down until a probe passes: its agent
    // being alive does not mean it serves.
    if (!(probed && live.record.state === 'down' && live.lastProbeOk === false)) {
      this.apply(live, { kind: 'heartbeat', countsAsPass: !probed }, now);
    }
  }

  /** An active probe's outcome. */
  probe(live: LiveNode, outcome: ProbeOutcome): void {
    live.lastProbeOk = outcome.ok;
    live.heard = true;
    const now = this.opts.now();
    const h = this.opts.policy.health(live.record.service);
    // A node down for lack of heartbeats stays down until its agent is back,
    // even if something still answers its health port.
    if (outcome.ok && live.record.state === 'down' && this.opts.monotonic() - live.lastSeen > h.fall * h.interval) return;
    const event: LivenessEvent = outcome.ok ? { kind: 'probe', ok: true } : { kind: 'probe', ok: false, hard: outcome.hard, detail: outcome.detail };
    this.apply(live, event, now);
  }

  /** Drains a node (sticky until it is deleted). */
  drain(live: LiveNode, cause: string): void {
    this.apply(live, { kind: 'drain' }, this.opts.now(), cause);
  }

  /** Deletes a node (terminal). */
  delete(live: LiveNode, cause: string): void {
    this.apply(live, { kind: 'delete' }, this.opts.now(), cause);
  }

  /**
   * Marks nodes down whose heartbeats stopped for fall × interval. A node loaded from the store
   * that stays silent that long is heard of too: the silence is this term's evidence.
   */
  sweep(): void {
    const now = this.opts.now();
    const mono = this.opts.monotonic();
    for (const live of this.opts.nodes.values()) {
      const s = live.record.state;
      if (s !== 'warm' && s !== 'active' && (live.heard || s !== 'down')) continue;
      const h = this.opts.policy.health(live.record.service);
      const silent = mono - live.lastSeen;
      if (silent > h.fall * h.interval) {
        live.heard = true;
        this.apply(
          live,
          { kind: 'heartbeat-timeout' },
          now,
          `no heartbeat for ${Math.round(silent / 1000)}s (fall ${h.fall} × interval ${h.interval / 1000}s)`,
        );
      }
    }
  }

  private apply(live: LiveNode, event: LivenessEvent, now: number, cause?: string): void {
    const h = this.opts.policy.health(live.record.service);
    const { next, transitions } = step(live.liveness, event, { rise: h.rise, fall: h.fall }, now);
    live.liveness = next;
    if (transitions.length === 0) return;
    this.publish(
      live,
      transitions.map((t) => (cause ? { ...t, cause } : t)),
      now,
      false,
    );
  }

  private publish(live: LiveNode, transitions: Transition[], now: number, initial: boolean): void {
    const r = live.record;
    for (const t of transitions) {
      this.opts.writer.event({ at: now, node: r.name, from: initial ? null : t.from, to: t.to, cause: t.cause });
      const published: NodeTransition = { ...t, node: r.name, service: r.service, region: r.region, at: now };
      this.opts.log.info(
        { node: r.name, from: t.from, to: t.to, cause: t.cause },
        `registry: ${r.name} ${initial ? 'is' : `${t.from} →`} ${t.to} (${t.cause})`,
      );
      for (const listener of this.listeners) {
        try {
          listener(published);
        } catch (err) {
          this.opts.log.error({ err: errorText(err) }, 'registry: transition listener failed');
        }
      }
    }
    r.state = live.liveness.state;
    r.stateSince = live.liveness.since;
    this.opts.writer.stateChanged(r.name);
  }
}
