// Who a node is and how it proves it: a registration is checked against the
// declarations, gets its name (`<region>-<service>-<n>`, numbers never
// reused), and each node gets a token whose hash the registry keeps.
import type { Declarations } from '../config/index.js';
import { badRequest, forbidden, unauthorized } from '../errors.js';
import type { NodeRecord } from '../store/index.js';
import { isValidAddress } from './address.js';
import { hashToken, hashesEqual, newToken } from './tokens.js';

/** What an agent sends to register. */
export interface RegisterInput {
  service: string;
  region: string;
  address: string;
  name?: string;
  labels?: Record<string, string>;
}

const NODE_NAME = /^(.+)-([1-9][0-9]*)$/;

/** Checks registrations, names nodes, and issues and checks node tokens. */
export class Registrar {
  /** Token hash → name of the node not deleted that holds it. */
  private readonly byToken = new Map<string, string>();
  /** Highest `n` seen per `<region>-<service>-` prefix, so names only grow. */
  private readonly maxOrdinal = new Map<string, number>();

  /**
   * The name a registration gets: the one it asks for, when it fits its pool, or the pool's next
   * number. Throws 400 on an undeclared service or region (once a configuration is in force), a
   * bad address or a name of another pool.
   */
  nameFor(input: RegisterInput, config: Declarations | undefined): string {
    if (config) {
      if (!config.gtm[input.service] && !config.autoscale[input.service]) {
        throw badRequest('service', `service "${input.service}" is not declared in platform-config/gtm or platform-config/autoscale`);
      }
      if (!config.regions[input.region]) throw badRequest('region', `region "${input.region}" is not declared in platform-config/regions`);
    }
    if (!isValidAddress(input.address)) throw badRequest('address', `address must be an IP or IP:port, got "${input.address}"`);
    const prefix = `${input.region}-${input.service}-`;
    const name = input.name;
    if (name === undefined) return `${prefix}${(this.maxOrdinal.get(prefix) ?? 0) + 1}`;
    const match = NODE_NAME.exec(name);
    if (!name.startsWith(prefix) || !match || match[1] !== prefix.slice(0, -1)) {
      throw badRequest('name', `name must be ${prefix}<n> for service ${input.service} in region ${input.region}, got "${name}"`);
    }
    return name;
  }

  /** A new token for `name`; the one it replaces (`previousHash`, on a re-registration) stops working. */
  issue(name: string, previousHash: string | undefined): { token: string; tokenHash: string } {
    const token = newToken();
    const tokenHash = hashToken(token);
    if (previousHash !== undefined) this.byToken.delete(previousHash);
    this.noteName(name);
    this.byToken.set(tokenHash, name);
    return { token, tokenHash };
  }

  /** Takes in a node loaded from the store: its number, and its token unless it was deleted. */
  remember(record: NodeRecord): void {
    this.noteName(record.name);
    if (record.state !== 'deleted') this.byToken.set(record.tokenHash, record.name);
  }

  /** Makes a node's token stop working (the node was deleted). */
  revoke(tokenHash: string): void {
    this.byToken.delete(tokenHash);
  }

  /** Throws 403 when `token` is another node's, 401 when it is nobody's. */
  authenticate(record: NodeRecord, token: string): void {
    const hash = hashToken(token);
    if (hashesEqual(hash, record.tokenHash)) return;
    const owner = this.byToken.get(hash);
    if (owner !== undefined) throw forbidden(`this token belongs to node ${owner}, not ${record.name}`);
    throw unauthorized(`invalid token for node ${record.name}`);
  }

  /** True when `token` is the heartbeat token of a live node. */
  isNodeToken(token: string): boolean {
    return this.byToken.has(hashToken(token));
  }

  /** The highest node number ever registered under `<region>-<service>-`. */
  highestOrdinal(region: string, service: string): number {
    return this.maxOrdinal.get(`${region}-${service}-`) ?? 0;
  }

  /** Forgets every token and number. */
  clear(): void {
    this.byToken.clear();
    this.maxOrdinal.clear();
  }

  private noteName(name: string): void {
    const match = NODE_NAME.exec(name);
    if (!match) return;
    const prefix = `${match[1]}-`;
    const n = Number(match[2]);
    if (n > (this.maxOrdinal.get(prefix) ?? 0)) this.maxOrdinal.set(prefix, n);
  }
}
