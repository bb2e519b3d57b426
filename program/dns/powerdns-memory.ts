// An in-memory PowerDNS for unit tests of the records provider: zones of
// RRsets, PATCH applied as PowerDNS applies it (REPLACE sets an RRset, DELETE
// removes it), every call recorded. Integration tests use a real pdns_server.
import type { PowerDnsZoneApi, RRset, RRsetChange } from './powerdns-api.js';

/** A fake PowerDNS server with the zone API's face. */
export class MemoryPowerDns implements PowerDnsZoneApi {
  /** Zone name → its RRsets. */
  readonly zones = new Map<string, RRset[]>();
  /** Every PATCH, in order. */
  readonly patches: { zone: string; rrsets: RRsetChange[] }[] = [];
  /** What luaRecordsEnabled answers. */
  luaRecords = true;

  constructor(zones: readonly string[] = []) {
    for (const zone of zones)
      this.zones.set(zone, [{ name: zone, type: 'SOA', ttl: 3600, records: [{ content: `ns1.${zone} hostmaster.${zone} 1 10800 3600 604800 3600` }] }]);
  }

  async rrsets(zone: string): Promise<RRset[]> {
    return structuredClone(this.zoneOf(zone));
  }

  async patch(zone: string, changes: RRsetChange[]): Promise<void> {
    const rrsets = this.zoneOf(zone);
    this.patches.push({ zone, rrsets: structuredClone(changes) });
    for (const change of changes) {
      const at = rrsets.findIndex((r) => r.name === change.name && r.type === change.type);
      if (at >= 0) rrsets.splice(at, 1);
      if (change.changetype === 'REPLACE') rrsets.push({ name: change.name, type: change.type, ttl: change.ttl, records: change.records });
    }
  }

  async luaRecordsEnabled(): Promise<boolean> {
    return this.luaRecords;
  }

  /** The RRset at name and type, if any. */
  find(zone: string, name: string, type = 'LUA'): RRset | undefined {
    return this.zones.get(zone)?.find((r) => r.name === name && r.type === type);
  }

  private zoneOf(zone: string): RRset[] {
    const rrsets = this.zones.get(zone);
    // The message the real client gives for a 404 on the zone.
    if (rrsets === undefined) throw new Error(`zone ${zone} does not exist on PowerDNS at memory (404)`);
    return rrsets;
  }
}
