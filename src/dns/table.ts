// The lookup table the server answers from: every record file folded into
// records by name, plus the zones it is authoritative for. Built once per
// reload, so a query does map lookups only.
import { normalizeName, type RecordFile } from './record-file.js';

/** One A record of a name, with the TTL and region of the file it came from. */
export interface NameRecord {
  node: string;
  ip: string;
  weight: number;
  ttl: number;
  region: string;
}

/** Records by name and the zones served; plain data, rebuilt on reload. */
export interface DnsTable {
  /** Records of each served name (normalized: lowercase, no trailing dot), all regions together. */
  names: ReadonlyMap<string, readonly NameRecord[]>;
  /** Zones served (normalized), longest first so the first match is the closest enclosing zone. */
  zones: readonly string[];
  /** Names that exist only because a served name lies below them (RFC 8020): NODATA, not NXDOMAIN. */
  interior: ReadonlySet<string>;
  /** TTL of negative answers and SOA minimum. */
  negativeTtl: number;
  /** SOA serial; changes when the table does. */
  serial: number;
}

/** Negative TTL when no file says otherwise; the `dns.ttl` default of the contract. */
export const DEFAULT_NEGATIVE_TTL = 30;

/**
 * Folds record files into a table. The zones are `zones` (config `dns.zone`)
 * and the files' `zone`; a domain inside none of them is made a zone of its
 * own, so the server is authoritative for its names even with no zone set.
 */
export function buildTable(files: readonly RecordFile[], zones: readonly string[] = [], serial = 1): DnsTable {
  const names = new Map<string, NameRecord[]>();
  const zoneSet = new Set(zones.map(normalizeName).filter((z) => z !== ''));
  let negativeTtl: number | undefined;
  for (const file of files) {
    const name = normalizeName(file.domain);
    if (file.zone !== undefined) zoneSet.add(normalizeName(file.zone));
    const list = names.get(name) ?? [];
    for (const r of file.records) list.push({ node: r.node, ip: r.ip, weight: r.weight, ttl: file.ttl, region: file.region });
    names.set(name, list);
    // Negative answers live no longer than the shortest positive one, so a
    // name that appears is not hidden by a cached NXDOMAIN for longer than that.
    negativeTtl = Math.min(negativeTtl ?? file.ttl, file.ttl);
  }
  for (const name of names.keys()) {
    if (![...zoneSet].some((zone) => inZone(name, zone))) zoneSet.add(name);
  }
  const interior = new Set<string>();
  for (const name of names.keys()) {
    for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
      const parent = name.slice(i + 1);
      if (!names.has(parent)) interior.add(parent);
    }
  }
  const sortedZones = [...zoneSet].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return { names, zones: sortedZones, interior, negativeTtl: negativeTtl ?? DEFAULT_NEGATIVE_TTL, serial };
}

/** The closest zone of `table` that contains `name` (normalized), if any. */
export function findZone(table: DnsTable, name: string): string | undefined {
  return table.zones.find((zone) => inZone(name, zone));
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}
