// Leader election over the store's lease: many `xplane serve` replicas share
// one store, exactly one of them runs the controllers and the Git writer.
//
// The lease lives in the store with the store's clock, so replicas with
// skewed clocks agree on when it lapses. Each replica also keeps a local
// deadline on a monotonic clock: it counts itself leader only until
// `start of the last successful renewal + ttl - margin` (margin: a tenth of the
// ttl, at most a second). The store's expiry is at least ttl after that start,
// so a leader that cannot reach the store — its renewal failing or hanging —
// steps down, by a timer set for that deadline, before another replica can
// take over; timers that run a little late still fall inside the margin, and a
// wall-clock jump moves neither.
// Renewals run every ttl/3, and followers try to take the lease as often:
// after a leader dies another takes over within ttl + ttl/3 (< 2 × ttl).
import { errorText } from '../errors.js';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/index.js';
import type { Lease, Store } from '../store/index.js';

/** Pokes closer together than this are one: a burst of failed forwards makes one store query. */
const POKE_GAP_MS = 100;

/** The most a leader keeps back from its ttl: it steps down this much before its lease can lapse in the store. */
const MAX_STEP_DOWN_MARGIN_MS = 1_000;

/** The lease every replica competes for. */
export const CONTROLLER_LEASE = 'controller';

/** A fresh replica id: the process id and random bytes, unique across restarts and hosts. */
export function newReplicaId(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Who leads, as this replica sees it. */
export type LeaderView = { role: 'leader'; token: number } | { role: 'follower'; leader: Lease } | { role: 'none'; reason: string };

/** Dependencies and tuning of a replica's leadership loop. */
export interface LeadershipOptions {
  store: Pick<Store, 'acquireLease' | 'renewLease' | 'releaseLease'>;
  log: Logger;
  /** Where this replica's API answers, for followers to forward to. */
  address: string;
  /** Lease length in ms. */
  ttlMs: number;
  /** This replica's id (default: random). */
  id?: string;
  /** Called when this replica becomes leader, with the lease's fencing token. */
  onElected: (token: number) => Promise<void> | void;
  /** Called when it stops being leader (lost lease, store unreachable, shutdown). */
  onDeposed: (reason: string) => Promise<void> | void;
  /** Monotonic milliseconds (default performance.now). */
  monotonic?: () => number;
}

/** One replica's side of the election; see the file comment. */
export class Leadership {
  readonly id: string;
  private token: number | null = null;
  private deadline = 0;
  private known: Lease | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Fires at the deadline of the current term unless a renewal moves it. */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private running = false;
  private lastTick = Number.NEGATIVE_INFINITY;
  private ticking: Promise<void> = Promise.resolve();
  /** Starts and stops of the controllers, in order, off the renewal path (a slow start must not let the lease lapse). */
  private transitions: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(private readonly opts: LeadershipOptions) {
    this.id = opts.id ?? newReplicaId();
  }

  /** True while this replica holds the lease by its own monotonic deadline. */
  get isLeader(): boolean {
    return this.token !== null && this.clock() < this.deadline;
  }

  /** The fencing token of the current term, or null when not leader. */
  get fencingToken(): number | null {
    return this.isLeader ? this.token : null;
  }

  /** Why the last lease request failed (the store did not answer), or null when it succeeded. */
  get storeError(): string | null {
    return this.lastError;
  }

  /** Who leads, as far as this replica knows. */
  view(): LeaderView {
    if (this.isLeader && this.token !== null) return { role: 'leader', token: this.token };
    // The last answer of the store names the holder: had its lease lapsed, this replica would have taken it.
    const lease = this.known;
    if (lease && lease.holder !== this.id && this.lastError === null) return { role: 'follower', leader: lease };
    return { role: 'none', reason: this.lastError ?? 'no replica holds the lease yet' };
  }

  /** Calls `listener(isLeader)` whenever the role changes; returns the unsubscribe function. */
  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the first attempt (awaited, so a lone replica leads once this resolves), then keeps going. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
    await this.transitions;
  }

  /** Throws unless this replica still holds the lease: the fence before a side effect such as a push. */
  async fence(): Promise<void> {
    const token = this.token;
    if (token === null || !this.isLeader) throw new Error('not the leader: the lease lapsed; leaving the write to the new leader');
    const started = this.clock();
    const held = await this.opts.store.renewLease(CONTROLLER_LEASE, this.id, token, this.opts.ttlMs);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- isLeader reads the clock, and the lease may have lapsed during the await above
    if (this.token !== token || !this.isLeader) throw new Error('not the leader: the lease lapsed while it was being renewed');
    if (!held) {
      await this.depose('the lease was taken by another replica');
      throw new Error('not the leader: another replica holds the lease');
    }
    this.extend(started);
  }

  /** Stops the loop and, when leader, hands the lease over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    this.disarm();
    const token = this.token;
    if (token === null) return this.transitions;
    await this.depose('shutting down');
    try {
      await this.opts.store.releaseLease(CONTROLLER_LEASE, this.id, token);
    } catch (err) {
      this.opts.log.warn({ err: errorText(err) }, 'leader: could not release the lease; it lapses on its own');
    }
  }

  /**
   * Asks the store again now rather than at the next tick: a follower whose leader stopped
   * answering learns of the new one (or takes the lapsed lease) without waiting up to ttl/3.
   */
  poke(): void {
    if (this.stopped || this.running || this.clock() - this.lastTick < POKE_GAP_MS) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.run();
  }

  private run(): void {
    this.running = true;
    this.ticking = this.tick().finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), Math.max(50, Math.floor(this.opts.ttlMs / 3)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const started = this.clock();
    this.lastTick = started;
    try {
      const token = this.token;
      if (token !== null) {
        const held = await this.opts.store.renewLease(CONTROLLER_LEASE, this.id, token, this.opts.ttlMs);
        // Deposed by its deadline while the store took its time: the late answer changes nothing.
        if (this.token !== token) return;
        if (held) {
          this.extend(started);
          this.lastError = null;
          return;
        }
        await this.depose('the lease was taken by another replica');
      }
      const lease = await this.opts.store.acquireLease(CONTROLLER_LEASE, this.id, this.opts.address, this.opts.ttlMs);
      this.known = lease;
      this.lastError = null;
      if (lease.holder === this.id && !this.stopped) this.elect(lease.token, started);
    } catch (err) {
      this.lastError = `the store did not answer: ${errorText(err)}`;
      this.opts.log.warn({ err: errorText(err) }, 'leader: lease request failed');
      // Without the store this replica cannot know it still leads: once its own deadline passes it steps down.
      if (this.token !== null && this.clock() >= this.deadline) await this.depose(`lease not renewed before it lapsed (${errorText(err)})`);
    }
  }

  private elect(token: number, started: number): void {
    this.token = token;
    this.extend(started);
    this.opts.log.info({ replica: this.id, token }, `leader: this replica leads (fencing token ${token})`);
    this.notify(true);
    this.transitions = this.transitions.then(async () => {
      try {
        await this.opts.onElected(token);
      } catch (err) {
        this.opts.log.error({ err: errorText(err) }, 'leader: starting the controllers failed; giving the lease up');
        void this.depose(`start failed: ${errorText(err)}`);
        await this.opts.store.releaseLease(CONTROLLER_LEASE, this.id, token).catch(() => undefined);
      }
    });
  }

  /** Moves the deadline to ttl - margin after `started` (when the renewal was sent) and sets the timer for it. */
  private extend(started: number): void {
    const margin = Math.min(MAX_STEP_DOWN_MARGIN_MS, this.opts.ttlMs / 10);
    this.deadline = started + this.opts.ttlMs - margin;
    this.arm();
  }

  private arm(): void {
    this.disarm();
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(this.deadline - this.clock())));
    this.deadlineTimer.unref();
  }

  /** The deadline timer: steps down unless a renewal moved the deadline meanwhile. */
  private expire(): void {
    this.deadlineTimer = null;
    if (this.token === null) return;
    if (this.clock() < this.deadline) {
      this.arm();
      return;
    }
    void this.depose(`lease not renewed before it lapsed (${this.lastError ?? 'the store has not answered the last renewal'})`);
  }

  private disarm(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }

  private async depose(reason: string): Promise<void> {
    if (this.token === null) return;
    this.token = null;
    this.deadline = 0;
    this.disarm();
    this.opts.log.warn({ replica: this.id, reason }, `leader: this replica no longer leads (${reason})`);
    this.notify(false);
    this.transitions = this.transitions.then(async () => {
      try {
        await this.opts.onDeposed(reason);
      } catch (err) {
        this.opts.log.error({ err: errorText(err) }, 'leader: stopping the controllers failed');
      }
    });
    return this.transitions;
  }

  private notify(leader: boolean): void {
    for (const listener of this.listeners) listener(leader);
  }

  private clock(): number {
    return (this.opts.monotonic ?? performance.now.bind(performance))();
  }
}
