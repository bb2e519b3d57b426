// The metrics history of `xplane serve`: at most one row per (service, region)
// per step (the reconcile interval), holding what the first pass of that step
// saw. The figures are already averages over the policy's cpu_window, so a row
// per pass is the loop's own resolution, and the simulator replays a pass at
// each row with exactly what the real pass read. Writes go to the store in the
// background, one batch per recorded pass; the history is pruned to the
// retention and the row bound at most once a minute. A store that fails is
// logged, and never fails or slows a pass.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { SeenPass } from '../reconcile/index.js';
import type { Store } from '../store/index.js';
import { sampleRows } from './sample.js';

/** What the recorder needs, all built outside. */
export interface RecorderOptions {
  store: Pick<Store, 'appendHistory' | 'pruneHistory'>;
  log: Logger;
  /** At most one row per (service, region) per this many milliseconds: the reconcile interval. */
  stepMs: number;
  /** Rows older than this many milliseconds are pruned (metrics_retention). */
  retentionMs: number;
  /** At most this many rows are kept, the oldest pruned first (metrics_max_rows). */
  maxRows: number;
  /** How often to prune (default one minute). */
  pruneEveryMs?: number;
}

const PRUNE_EVERY_MS = 60_000;
const WARN_EVERY_MS = 60_000;

/** Records what passes saw into the store's metrics history; see the file comment. */
export class MetricsRecorder {
  private lastRow = Number.NEGATIVE_INFINITY;
  private lastPrune = Number.NEGATIVE_INFINITY;
  private lastWarn = Number.NEGATIVE_INFINITY;
  private writing: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly opts: RecorderOptions) {}

  /** Takes what a pass saw; records it when a step has passed since the last row. Never throws. */
  observe(seen: SeenPass): void {
    if (seen.now - this.lastRow < this.opts.stepMs && seen.now >= this.lastRow) return;
    this.lastRow = seen.now;
    const rows = sampleRows(seen);
    if (rows.length === 0) return;
    const prune = seen.now - this.lastPrune >= (this.opts.pruneEveryMs ?? PRUNE_EVERY_MS);
    if (prune) this.lastPrune = seen.now;
    // A store that cannot keep up (Postgres away) would queue batches without end: drop instead.
    if (this.pending >= 10) {
      this.warn(seen.now, 'the store is behind; a pass of metrics history was dropped');
      return;
    }
    this.pending += 1;
    this.writing = this.writing.then(async () => {
      try {
        await this.opts.store.appendHistory(rows);
        if (prune) await this.opts.store.pruneHistory({ before: seen.now - this.opts.retentionMs, maxRows: this.opts.maxRows });
      } catch (err) {
        this.warn(seen.now, `could not write metrics history (${errorText(err)})`);
      } finally {
        this.pending -= 1;
      }
    });
  }

  /** Waits until every row taken so far is written (or failed). */
  flush(): Promise<void> {
    return this.writing;
  }

  private warn(now: number, message: string): void {
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.opts.log.warn({}, `metrics history: ${message}`);
  }
}
