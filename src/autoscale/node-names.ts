// Node names are `<region>-<service>-<n>` and n only grows (contract §3): a name
// that once meant a machine never means another one, so Git history, the API
// and the machines never disagree about which node a name is.

/** The ordinal at the end of a node name (`jp-svc-plus-7` → 7); undefined for names a human wrote without one. */
export function nameOrdinal(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Hands out fresh names for one (region, service), above every ordinal already used or still in
 * the pool. The lists are read at the first `take()`, not before: most regions of a pass name no
 * node, so they never pay for it. Callers pass lists they do not change afterwards.
 */
export class NameSequence {
  private next: number | undefined;
  private readonly inPool: readonly (readonly string[])[];

  constructor(
    private readonly region: string,
    private readonly service: string,
    private readonly usedMax: number,
    ...inPool: (readonly string[])[]
  ) {
    this.inPool = inPool;
  }

  /** The next unused name. */
  take(): string {
    const n = this.next ?? this.first();
    this.next = n + 1;
    return `${this.region}-${this.service}-${n}`;
  }

  private first(): number {
    const prefix = `${this.region}-${this.service}-`;
    let max = Number.isFinite(this.usedMax) ? Math.max(0, Math.floor(this.usedMax)) : 0;
    // The registry's high-water mark may lag behind a name a human or an earlier,
    // not yet registered pass put into Git, so the pool itself is also a floor.
    for (const names of this.inPool) {
      for (const name of names) {
        if (!name.startsWith(prefix)) continue;
        const n = nameOrdinal(name);
        if (n !== undefined && `${prefix}${n}` === name && n > max) max = n;
      }
    }
    return max + 1;
  }
}
