// Where a `local` node listens: its own loopback address, 127.R.S.N, so every
// node of every service and region can use the gtm health port at once on one
// machine (Linux routes all of 127.0.0.0/8 to the loopback interface).
//
//   R = 1 + index of the region among the declared regions, sorted by name
//   S = 1 + index of the service among the gtm services, sorted by name
//   N = the node's number n from `<region>-<service>-<n>`, 1..254
//
// Derived only from names in Git, so the same node gets the same address on
// every converge and the embedded DNS answers with an address an operator can
// read back to a node. Adding a region or service that sorts earlier shifts the
// later ones' addresses; the program then replaces those nodes, which is fine
// for a playground and keeps the mapping stateless.

/** What a local node's address is derived from. */
export interface LocalAddressInput {
  /** Every declared region name (platform-config/regions/), in any order. */
  regions: readonly string[];
  /** Every gtm service name (platform-config/gtm/), in any order. */
  services: readonly string[];
  region: string;
  service: string;
  /** The node name, `<region>-<service>-<n>`. */
  node: string;
}

/** Highest octet for R and S: 127.255.x.x is still loopback. */
const MAX_OCTET = 255;
/** Highest node number: .0 and .255 look like network/broadcast addresses to humans and tools. */
export const MAX_LOCAL_NODE = 254;

/** The `n` of `<region>-<service>-<n>`; throws unless it is a whole number 1..254. */
export function localNodeNumber(node: string, region: string, service: string): number {
  const prefix = `${region}-${service}-`;
  const rest = node.startsWith(prefix) ? node.slice(prefix.length) : '';
  if (!/^[0-9]+$/.test(rest)) throw new Error(`local node "${node}": expected a name like ${prefix}<n>`);
  const n = Number(rest);
  if (n < 1 || n > MAX_LOCAL_NODE) {
    throw new Error(
      `local node "${node}": its number ${n} is outside 1..${MAX_LOCAL_NODE}, so it has no loopback address 127.R.S.<n> (a local region holds nodes numbered 1..${MAX_LOCAL_NODE} per service)`,
    );
  }
  return n;
}

function position(names: readonly string[], name: string, what: string): number {
  const index = [...new Set(names)].sort().indexOf(name);
  if (index < 0) throw new Error(`local node address: ${what} "${name}" is not declared`);
  if (index + 1 > MAX_OCTET)
    throw new Error(`local node address: ${what} "${name}" sorts at position ${index + 1}; only ${MAX_OCTET} fit in one address octet`);
  return index + 1;
}

/** The node's loopback IPv4 address, 127.R.S.N (see the header). */
export function localNodeIp(input: LocalAddressInput): string {
  const r = position(input.regions, input.region, 'region');
  const s = position(input.services, input.service, 'service');
  return `127.${r}.${s}.${localNodeNumber(input.node, input.region, input.service)}`;
}

/** `ip:port`, the agent's `--address`. */
export function localNodeAddress(input: LocalAddressInput, port: number): string {
  return `${localNodeIp(input)}:${port}`;
}
