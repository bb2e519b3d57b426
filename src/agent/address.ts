// The agent's address is both where it listens and what it registers, so
// it is parsed once into host and port.

/** A listen address split into host and port. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `ip:port` or `[ipv6]:port`; undefined when malformed. Port 0 (any free port) is allowed for tests. */
export function parseAddress(address: string): HostPort | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(address);
  if (!m?.[1] || m[2] === undefined) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1], port };
}

/** Formats host and port back into `ip:port`, bracketing IPv6 hosts. */
export function formatAddress({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
