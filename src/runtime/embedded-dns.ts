// The local provider's data plane: a DNS server answering from the record
// files converge writes, leaving out nodes the registry has marked down at
// once (contract §8). The registry lives on the leader; a follower asks the
// store, where the leader writes state changes within a second.
import { errorText } from '../errors.js';
import { resolve } from 'node:path';
import type { Declarations } from '../config/index.js';
import { DnsServer, RecordStore } from '../dns/index.js';
import type { Logger } from '../log/index.js';
import type { NodeRecord } from '../store/index.js';
import type { ShutdownSteps } from './shutdown-steps.js';

/** What the embedded DNS server needs. */
export interface EmbeddedDnsOptions {
  /** Where it listens (host:port). */
  listen: string;
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
  const dns = new DnsServer({
    records: new RecordStore({ dir: resolve(opts.dir), log, zones }),
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
