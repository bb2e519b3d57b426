// Parsed stack files by git blob id. The reconciler reads every stack file at
// the head on every pass, but they change only when someone commits; parsing
// one costs milliseconds, looking up its blob id does not.
import { parseStack, type ParsedStack } from './stack-file.js';

/** Parsed stack files keyed by blob id, holding only the blobs the caller still reads. */
export class StackCache {
  private readonly byOid = new Map<string, ParsedStack>();

  /** The parsed file of a blob, parsed only when this blob id was not seen before; throws a StackFileError like parseStack. */
  get(oid: string, text: string): ParsedStack {
    const hit = this.byOid.get(oid);
    // A blob id names its content, so the text comparison only guards against a caller mixing ids up.
    if (hit && hit.source === text) return hit;
    const parsed = parseStack(text);
    this.byOid.set(oid, parsed);
    return parsed;
  }

  /** Forgets every blob not in `oids` (those at the latest head), so the cache stays as large as the stacks folder. */
  keepOnly(oids: Iterable<string>): void {
    const keep = new Set(oids);
    for (const oid of this.byOid.keys()) if (!keep.has(oid)) this.byOid.delete(oid);
  }

  /** How many parsed files are held. */
  get size(): number {
    return this.byOid.size;
  }
}
