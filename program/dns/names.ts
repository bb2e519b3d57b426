// DNS name spellings the providers share.

/** A name with a trailing dot (PowerDNS's API wants them absolute). */
export function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** `name` relative to `zone`, '' for the apex (a PowerDNS include(), an AliDNS record's `rr`); throws when it is not inside. */
export function relativeName(name: string, zone: string): string {
  const n = name.replace(/\.$/, '').toLowerCase();
  const z = zone.replace(/\.$/, '').toLowerCase();
  if (n === z) return '';
  if (!n.endsWith(`.${z}`)) throw new Error(`${name} is not inside the zone ${zone} (gtm dns.zone)`);
  return n.slice(0, -(z.length + 1));
}
