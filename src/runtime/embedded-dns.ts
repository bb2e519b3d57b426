// The local provider's data plane: a DNS server answering from the record
// files converge writes, leaving out nodes the registry has marked down at
// once (contract §8). The registry lives on the leader; a follower asks the
// store, where the leader writes state changes within a second.
import { errorText } from '../errors.js';
import { resolve } from 'node:path';
import type { Declarations } from '../config/index.js';
import { isIPv4 } from 'node:net';
import { DnsServer, parseListenAddress, RecordStore, type NameServer } from '../dns/index.js';
import type { Logger } from '../log/index.js';
import type { NodeRecord } from '../store/index.js';
import type { ShutdownSteps } from './shutdown-steps.js';

/** What the embedded DNS server needs. */
export interface EmbeddedDnsOptions {
  /** Where it listens (host:port). */
  listen: string;
  /** The `dns_nameservers` setting: `auto` or a comma-separated list of `name` or `name=ipv4`. */
  nameServers: string;
  /** Counts each reply by rcode name. */
  onReply?: (rcode: string) => void;
  /** The record files' folder. */
  dir: string;
  /** The declarations in force when it starts: their `local` zones are served. */
  declarations: Declarations | undefined;
  /** The leader's registry. */
  registry: { record(name: string): NodeRecord | undefined };
  /** The store's down nodes, for a follower; polled while the server runs. */
  downView: { isDown(node: string): boolean; start(): void; stop(): Promise<void> };
  /** Where its stop steps go. */
  stops: ShutdownSteps;
  log: Logger;
}

/** Starts the DNS server and the down view; returns where it answers, or null when it could not start (serve goes on without). */
export async function startEmbeddedDns(opts: EmbeddedDnsOptions): Promise<string | null> {
  const { registry, downView, log } = opts;
  const zones = Object.values(opts.declarations?.gtm ?? {})
    .filter((g) => g.dns.provider === 'local')
    .map((g) => g.dns.zone);
  const nameServers = parseNameServers(opts.nameServers);
  const listenHost = parseListenAddress(opts.listen).host;
  // The default name server is this server itself, at the address it listens on when that is one address a resolver can reach.
  const selfAddress = isIPv4(listenHost) && listenHost !== '0.0.0.0' ? listenHost : undefined;
  if (nameServers === undefined && selfAddress === undefined) {
    log.warn({ dns: opts.listen }, 'xplane serve: the DNS listens on no single IPv4 address, so ns1.<zone> has no address; set dns_nameservers to name=ip');
  }
  const dns = new DnsServer({
    records: new RecordStore({
      dir: resolve(opts.dir),
      log,
      zones,
      ...(nameServers === undefined ? {} : { nameServers }),
      ...(selfAddress === undefined ? {} : { selfAddress }),
    }),
    ...(opts.onReply === undefined ? {} : { onReply: opts.onReply }),
    isDown: (node) => {
      const known = registry.record(node);
      return known ? known.state === 'down' : downView.isDown(node);
    },
    log,
  });
  try {
    const ports = await dns.listen(opts.listen);
    const address = `${opts.listen.replace(/:\d+$/, '')}:${ports.udp}`;
    opts.stops.push(() => dns.close());
    downView.start();
    opts.stops.push(() => downView.stop());
    log.info({ dns: address, dir: opts.dir }, `xplane serve: DNS on ${address} (udp+tcp)`);
    return address;
  } catch (err) {
    log.warn({ err: errorText(err), dns: opts.listen }, 'xplane serve: the embedded DNS server could not start; continuing without it');
    return null;
  }
}

/**
 * The `dns_nameservers` setting: undefined for `auto`, else its entries.
 * Throws with the setting's name and the bad entry, so serve stops before it
 * starts answering with a broken delegation.
 */
export function parseNameServers(text: string): NameServer[] | undefined {
  if (text.trim() === 'auto') return undefined;
  const entries = text.split(',').map((entry) => entry.trim());
  return entries.map((entry) => {
    const [name = '', ip, ...rest] = entry.split('=').map((part) => part.trim());
    const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
    if (!new RegExp(`^(?=.{1,253}\\.?$)${label}(?:\\.${label})+\\.?$`).test(name) || rest.length > 0 || (ip !== undefined && !isIPv4(ip))) {
      throw new Error(`dns_nameservers: expected "auto" or comma-separated name or name=ipv4 entries like ns1.example.com=192.0.2.1, got "${entry}"`);
    }
    return ip === undefined ? { name } : { name, ip };
  });
}
