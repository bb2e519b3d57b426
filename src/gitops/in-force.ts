// The configuration in force, held in memory so hot paths (heartbeats, the
// prober, the DNS server) read it without a store round trip. Refreshed from
// the store after each sync that stored a new snapshot.
import type { Declarations } from '../config/index.js';
import type { ConfigSnapshot, Store } from '../store/index.js';

/** The latest valid snapshot, cached. */
export class ConfigInForce {
  private current: ConfigSnapshot | undefined;

  constructor(private readonly store: Store) {}

  /** The snapshot in force, if any. */
  get snapshot(): ConfigSnapshot | undefined {
    return this.current;
  }

  /** The declarations in force, if any. */
  get declarations(): Declarations | undefined {
    return this.current?.declarations;
  }

  /** Re-reads the latest snapshot from the store. */
  async refresh(): Promise<ConfigSnapshot | undefined> {
    this.current = withoutPrototypes(await this.store.latestSnapshot());
    return this.current;
  }

  /** Sets the snapshot directly (tests, or a caller that just stored it). */
  set(snapshot: ConfigSnapshot | undefined): void {
    this.current = withoutPrototypes(snapshot);
  }
}

/**
 * Names from requests (a service in a URL, a region in a registration) are
 * looked up in these maps. On plain objects `constructor` or `__proto__`
 * finds a member of Object.prototype and passes for declared, so the maps
 * in force have no prototype: they answer only for what the repo declares.
 */
function withoutPrototypes(snapshot: ConfigSnapshot | undefined): ConfigSnapshot | undefined {
  if (!snapshot) return snapshot;
  const d = snapshot.declarations;
  return { ...snapshot, declarations: { ...d, gtm: bare(d.gtm), autoscale: bare(d.autoscale), regions: bare(d.regions), stacks: bare(d.stacks) } };
}

function bare<T>(map: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, map);
}
