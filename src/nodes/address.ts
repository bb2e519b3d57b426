// Node addresses as agents send them: an IP literal with an optional port. Hostnames are
// refused because the address ends up in DNS records, which carry IPs.
import { isIPv4, isIPv6 } from 'node:net';

/** Splits `ip`, `ip:port`, `[v6]` or `[v6]:port`; a bare IPv6 literal has no port. Validate first with isValidAddress: garbage gives a best-effort split. */
export function splitAddress(address: string): { host: string; port: number | null } {
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end > 0) {
      const rest = address.slice(end + 1);
      return { host: address.slice(1, end), port: rest.startsWith(':') ? parsePort(rest.slice(1)) : null };
    }
  }
  const first = address.indexOf(':');
  // Two or more colons can only be a bare IPv6 literal: "::1:8080" is not host + port.
  if (first < 0 || first !== address.lastIndexOf(':')) return { host: address, port: null };
  return { host: address.slice(0, first), port: parsePort(address.slice(first + 1)) };
}

/** True for an IPv4 dotted quad or an IPv6 literal (bracketed when it has a port), with an optional port 1..65535. */
export function isValidAddress(address: string): boolean {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(address);
  if (bracketed) return isV6(bracketed[1] ?? '') && (bracketed[2] === undefined || parsePort(bracketed[2]) !== null);
  const colons = address.split(':').length - 1;
  if (colons >= 2) return isV6(address);
  const { host, port } = splitAddress(address);
  return isIPv4(host) && (colons === 0 || port !== null);
}

// Zone ids (fe80::1%eth0) are local to one machine and mean nothing in a DNS record.
function isV6(host: string): boolean {
  return isIPv6(host) && !host.includes('%');
}

function parsePort(text: string): number | null {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}
