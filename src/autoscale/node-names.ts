// Node names are `<region>-<service>-<n>` and n only grows (contract §3): a name
// that once meant a machine never means another one, so Git history, the API
// and the machines never disagree about which node a name is.

/** The ordinal at the end of a node name (`jp-svc-plus-7` → 7); undefined for names a human wrote without one. */
export function nameOrdinal(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Hands out fresh names for one (region, service), above every ordinal already used or still in the pool. */
export class NameSequence {
  private next: number;

  constructor(
    private readonly region: string,
    private readonly service: string,
    usedMax: number,
    inPool: readonly string[],
  ) {
    const prefix = `${region}-${service}-`;
    let max = Number.isFinite(usedMax) ? Math.max(0, Math.floor(usedMax)) : 0;
    // The registry's high-water mark may lag behind a name a human or an earlier,
    // not yet registered pass put into Git, so the pool itself is also a floor.
    for (const name of inPool) {
      if (!name.startsWith(prefix)) continue;
      const n = nameOrdinal(name);
      if (n !== undefined && `${prefix}${n}` === name && n > max) max = n;
    }
    this.next = max + 1;
  }

  /** The next unused name. */
  take(): string {
    const name = `${this.region}-${this.service}-${this.next}`;
    this.next += 1;
    return name;
  }
}
