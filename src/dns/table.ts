// The lookup table the server answers from: every record file folded into
// records by name, plus the zones it is authoritative for, their name servers
// (NS at each apex, with the addresses of those inside a zone: glue) and the
// SOA serial. Built once per reload, so a query does map lookups only.
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
  /** The NS names of every zone (normalized); the first is the SOA MNAME. */
  nameServers: ReadonlyMap<string, readonly string[]>;
  /** Addresses of the name servers that lie inside a zone served here (glue), by name. */
  hosts: ReadonlyMap<string, string>;
  /** SOA serial: the Unix time of the configuration commit the records came from (see `buildTable`). */
  serial: number;
}

/** A name server of every zone: its name, and its IPv4 address when the name lies inside a zone served here. */
export interface NameServer {
  name: string;
  ip?: string;
}

/** What besides the files makes a table. */
export interface TableOptions {
  /** Zones served besides those of the files (config `dns.zone`). */
  zones?: readonly string[];
  /**
   * The name servers of every zone. Default: `ns1.<zone>` for each zone, at
   * `selfAddress` (without one, `ns1.<zone>` has no address and the server
   * cannot be delegated to by that name).
   */
  nameServers?: readonly NameServer[];
  /** The server's own IPv4 address, for the default name server. */
  selfAddress?: string;
  /** The serial when no file carries one (files written before serials, or no file at all). */
  fallbackSerial?: number;
}

/** Negative TTL when no file says otherwise; the `dns.ttl` default of the contract. */
export const DEFAULT_NEGATIVE_TTL = 30;

/**
 * Folds record files into a table. The zones are `zones` (config `dns.zone`)
 * and the files' `zone`; a domain inside none of them is made a zone of its
 * own, so the server is authoritative for its names even with no zone set.
 * The serial is the newest `serial` of the files: each file carries the
 * commit time of the stack configuration it was converged from, so every
 * replica and every restart answers the same serial for the same records,
 * and a newer commit gives a larger one.
 */
export function buildTable(files: readonly RecordFile[], options: TableOptions = {}): DnsTable {
  const names = new Map<string, NameRecord[]>();
  const zoneSet = new Set((options.zones ?? []).map(normalizeName).filter((z) => z !== ''));
  let serial: number | undefined;
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
    if (file.serial !== undefined) serial = Math.max(serial ?? 0, file.serial);
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
  const { nameServers, hosts } = nameServersOf(sortedZones, options);
  return {
    names,
    zones: sortedZones,
    interior,
    negativeTtl: negativeTtl ?? DEFAULT_NEGATIVE_TTL,
    nameServers,
    hosts,
    serial: serial ?? options.fallbackSerial ?? 1,
  };
}

function nameServersOf(zones: readonly string[], options: TableOptions): Pick<DnsTable, 'nameServers' | 'hosts'> {
  const nameServers = new Map<string, string[]>();
  const hosts = new Map<string, string>();
  const inAnyZone = (name: string): boolean => zones.some((zone) => inZone(name, zone));
  for (const zone of zones) {
    // A zone near the 253-character limit has no room for a prefix; its own name still makes a valid NS.
    const servers = options.nameServers ?? [{ name: zone.length <= 249 ? `ns1.${zone}` : zone }];
    nameServers.set(
      zone,
      servers.map((s) => normalizeName(s.name)),
    );
    for (const server of servers) {
      const name = normalizeName(server.name);
      const ip = server.ip ?? options.selfAddress;
      // Addresses only for names this server is authoritative for; an outside name's address is its own zone's business.
      if (ip !== undefined && inAnyZone(name)) hosts.set(name, ip);
    }
  }
  return { nameServers, hosts };
}

/** The closest zone of `table` that contains `name` (normalized), if any. */
export function findZone(table: DnsTable, name: string): string | undefined {
  return table.zones.find((zone) => inZone(name, zone));
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}
