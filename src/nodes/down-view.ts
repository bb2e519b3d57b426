// Which nodes are down, as a follower replica sees it: the registry lives in
// the leader's memory, and the leader writes every state change to the store
// within a second. A follower polls the store for the nodes marked `down`, so
// its embedded DNS leaves them out too (contract §8) instead of failing open.
// A poll the store does not answer keeps the last set it gave: the view goes
// stale rather than empty, and says so once in the log.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Store } from '../store/index.js';

/** How often a follower asks the store by default (ms): the leader writes state changes within a second. */
export const DOWN_VIEW_INTERVAL_MS = 1_000;

/** Options of a {@link StoreDownView}. */
export interface StoreDownViewOptions {
  store: Pick<Store, 'listNodes'>;
  log: Logger;
  intervalMs?: number;
}

/** The set of nodes the store records as down, refreshed on a timer while started. */
export class StoreDownView {
  private down: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private failing = false;

  constructor(private readonly opts: StoreDownViewOptions) {}

  /** True when the last answer of the store marked `node` down. */
  isDown(node: string): boolean {
    return this.down.has(node);
  }

  /** Asks the store now (or joins the question in flight: a slow store gets one at a time); never throws. */
  refresh(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /** Starts polling (the first poll at once); a second start changes nothing. */
  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs ?? DOWN_VIEW_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops polling and waits for a poll in flight; the last set stays readable. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private async poll(): Promise<void> {
    try {
      const nodes = await this.opts.store.listNodes({ state: 'down' });
      this.down = new Set(nodes.map((n) => n.name));
      if (this.failing) this.opts.log.info({ down: this.down.size }, 'down view: the store answers again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.opts.log.warn(
          { err: errorText(err), down: this.down.size },
          'down view: the store did not answer; DNS keeps leaving out the nodes it last knew were down',
        );
      }
      this.failing = true;
    }
  }
}
