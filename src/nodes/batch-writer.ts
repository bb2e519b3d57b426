// Writes the registry to the store in batches. Liveness lives in memory,
// because heartbeats arrive by the thousand per second: state changes and
// node events are written within a second, heartbeat-only updates in larger
// batches. A write the store refuses is kept and retried on the next flush.
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { NodeEvent, Store, WriteFence } from '../store/index.js';
import type { NodeTable } from './node-table.js';

/** Nodes written per store transaction when persisting. */
const FLUSH_CHUNK = 250;

/** Dependencies of a BatchWriter. */
export interface BatchWriterOptions {
  store: Store;
  log: Logger;
  /** Where the records to write are read, at the moment of the write. */
  nodes: NodeTable;
  /** Whether this replica may write nodes now (default: always). */
  mayPersist?: () => boolean;
  /** The lease every write rests on (default: none). */
  fence?: () => WriteFence | undefined;
}

/** Which nodes and events wait to be written, and the writes themselves, one at a time. */
export class BatchWriter {
  private readonly stateDirty = new Set<string>();
  private readonly beatDirty = new Set<string>();
  private pendingEvents: NodeEvent[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: BatchWriterOptions) {}

  /** Marks a node whose state or identity changed: written with the next state flush. */
  stateChanged(name: string): void {
    this.stateDirty.add(name);
  }

  /** Marks a node that only heartbeated: written with the next full flush. */
  beat(name: string): void {
    this.beatDirty.add(name);
  }

  /** Queues a node event for the next flush. */
  event(e: NodeEvent): void {
    this.pendingEvents.push(e);
  }

  /** Flushes state changes every `stateMs`, everything every `beatsMs`. */
  start(stateMs: number, beatsMs: number): void {
    this.timers.push(
      setInterval(() => void this.flush('state'), stateMs),
      setInterval(() => void this.flush('all'), beatsMs),
    );
    for (const t of this.timers) t.unref();
  }

  /** Stops the flush timers (a flush under way goes on). */
  stopTimers(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** Resolves when the flushes queued so far have ended. */
  idle(): Promise<void> {
    return this.flushing;
  }

  /** Drops everything waiting to be written. */
  clear(): void {
    this.stateDirty.clear();
    this.beatDirty.clear();
    this.pendingEvents = [];
  }

  /**
   * Persists pending state changes now and rejects when the store refused them (they stay
   * queued for the next flush): for callers that must not go on until they are stored.
   */
  async persistState(): Promise<void> {
    await this.queue('state');
  }

  /** Persists pending changes: state changes and events, or everything. */
  flush(what: 'state' | 'all' = 'all'): Promise<void> {
    void this.queue(what);
    return this.flushing;
  }

  /** Queues a write after the ones before it; returns the write itself, which rejects when the store refused it (logged either way). */
  private queue(what: 'state' | 'all'): Promise<void> {
    const write = this.flushing.then(() => this.writeOut(what));
    this.flushing = write.catch((err: unknown) => {
      this.opts.log.error({ err: errorText(err) }, 'registry: persisting nodes failed; will retry');
    });
    return write;
  }

  private async writeOut(what: 'state' | 'all'): Promise<void> {
    if (this.opts.mayPersist?.() === false) return;
    const names = new Set(this.stateDirty);
    if (what === 'all') for (const n of this.beatDirty) names.add(n);
    const events = this.pendingEvents;
    if (names.size === 0 && events.length === 0) return;
    const records = [...names].flatMap((n) => {
      const live = this.opts.nodes.get(n);
      return live ? [{ ...live.record }] : [];
    });
    this.pendingEvents = [];
    for (const n of names) {
      this.stateDirty.delete(n);
      this.beatDirty.delete(n);
    }
    const fence = this.opts.fence?.();
    try {
      // Small transactions with a yield between them: SQLite writes block the
      // event loop, and one 10,000-row transaction would stall every heartbeat.
      for (let i = 0; i < records.length; i += FLUSH_CHUNK) {
        await this.opts.store.upsertNodes(records.slice(i, i + FLUSH_CHUNK), fence);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await this.opts.store.appendNodeEvents(events, fence);
    } catch (err) {
      // Nothing is lost: put everything back for the next flush.
      for (const r of records) this.stateDirty.add(r.name);
      this.pendingEvents = events.concat(this.pendingEvents);
      throw err;
    }
  }
}
