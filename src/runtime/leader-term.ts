// What runs only while this replica leads: the registry (loaded from the
// store each term), the prober, gitops-sync, inline converge and the
// reconciler. The objects live for the whole process; a term starts them in
// this order and stops them in the reverse one.
import { errorText } from '../errors.js';
import type { InlineConverger } from '../converge/index.js';
import type { Logger } from '../log/index.js';
import type { SyncOutcome } from '../gitops/index.js';
import type { Replica } from './replica.js';

/** What a term starts and stops, and what it reads; narrow, so a test can record the calls. */
export interface LeaderTermParts {
  replica: Pick<Replica, 'leads' | 'stopping' | 'enterTerm' | 'leaveTerm'>;
  inForce: { refresh(): Promise<unknown> };
  registry: { reset(): Promise<void>; load(): Promise<void>; start(): void; stop(): Promise<void> };
  /** A follower's view of down nodes: off while leading (the registry knows better). */
  downView: { start(): void; stop(): Promise<void> };
  /** Whether the embedded DNS runs, so a follower needs the down view. */
  dnsRunning: boolean;
  prober: { start(): void; stop(): Promise<void> } | null;
  sync: { start(intervalMs: number): void; stop(): Promise<void>; onOutcome(handler: (outcome: SyncOutcome) => void): unknown };
  reconciler: { beginTerm(): Promise<void>; start(intervalMs: number): void; stop(): Promise<void> };
  /** Builds the inline converger of `converge: inline` (the first term makes it); null with `converge: ci`. */
  makeInline: (() => Promise<InlineConverger>) | null;
  syncIntervalMs: number;
  reconcileIntervalMs: number;
  log: Logger;
}

/** The leader's term; `begin` and `end` are the election's onElected and onDeposed. */
export class LeaderTerm {
  /** The inline converger, made in the first term with `converge: inline` and kept for later ones. */
  private converger: InlineConverger | null = null;

  constructor(private readonly parts: LeaderTermParts) {}

  /** The inline converger, or null (`converge: ci`, or before this replica first led). */
  get inline(): InlineConverger | null {
    return this.converger;
  }

  /** Starts the leader's work under fencing token `token`. */
  async begin(token: number): Promise<void> {
    const { replica, inForce, registry, downView, prober, sync, reconciler } = this.parts;
    replica.enterTerm(token);
    await inForce.refresh();
    await registry.reset();
    await registry.load();
    await downView.stop();
    registry.start();
    prober?.start();
    sync.start(this.parts.syncIntervalMs);
    if (this.parts.makeInline) await this.startInline(this.parts.makeInline);
    await reconciler.beginTerm();
    reconciler.start(this.parts.reconcileIntervalMs);
  }

  /** Stops the leader's work; on a clean shutdown the registry is written out, otherwise dropped. */
  async end(): Promise<void> {
    const { replica, registry, downView, prober, sync, reconciler } = this.parts;
    await reconciler.stop();
    await this.converger?.stop();
    await sync.stop();
    await prober?.stop();
    // On a clean shutdown the lease is still ours until released: write everything out.
    if (replica.stopping) await registry.stop();
    else await registry.reset();
    replica.leaveTerm();
    if (!replica.stopping && this.parts.dnsRunning) downView.start();
  }

  // The playground's mode: serve converges the stacks itself after each commit.
  private async startInline(make: () => Promise<InlineConverger>): Promise<void> {
    if (!this.converger) {
      this.converger = await make();
      this.parts.sync.onOutcome((outcome) => {
        if (outcome.status === 'changed') this.converger?.trigger();
      });
    }
    const converger = this.converger;
    void converger
      .convergeAll()
      .catch((err: unknown) => this.parts.log.error({ err: errorText(err) }, 'inline converge: the first converge failed'))
      .finally(() => {
        if (this.parts.replica.leads()) converger.start();
      });
  }
}
