// PowerDNS for bench:failover: a foreground pdns_server with its own config
// dir, the bind backend and one LUA `ifurlup` record over the nodes' health
// URLs, caches off, so each answer comes from the health state of that moment.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryDns, RRType } from '../../src/dns/index.js';
import { errorText } from '../../src/errors.js';
import { freePort } from '../../test/helpers/serve.js';
import { until } from './measure.js';

/** Where the Debian/Ubuntu packages put the server. */
export const PDNS = '/usr/sbin/pdns_server';

/** What PowerDNS is installed here; throws with the install line when it is not. */
export function powerDnsVersion(): { version: string; minimumFailuresSupported: boolean } {
  const run = spawnSync(PDNS, ['--version'], { encoding: 'utf8' });
  if (run.error) throw new Error('bench:failover needs PowerDNS with the bind backend: apt-get install pdns-server pdns-backend-bind');
  return {
    version: /PowerDNS Authoritative Server (\S+)/.exec(run.stderr)?.[1] ?? 'unknown',
    // ifurlup ignores options it does not know, so an older PowerDNS (Debian 12 ships 4.7) silently drops
    // an address after its first failed check; the option's name in the binary says whether it applies.
    minimumFailuresSupported: readFileSync(PDNS).includes('minimumFailures'),
  };
}

/** The ifurlup record's inputs: the same check as the xplane side's gtm health block. */
export interface IfUrlUpOptions {
  domain: string;
  zone: string;
  ttl: number;
  /** The candidate addresses (each node's IP). */
  candidates: string[];
  /** The health check's port and path, as in the gtm file. */
  port: number;
  path: string;
  /** Seconds between checks (lua-health-checks-interval), and failures before an address is dropped. */
  intervalS: number;
  fall: number;
  /** Seconds; ifurlup reads a whole number. */
  timeoutS: number;
}

/** A running pdns_server. */
export interface PowerDns {
  port: number;
  /** The LUA record's text. */
  record: string;
  stop(): void;
}

/** Starts pdns_server in `dir` with one ifurlup record, and waits until it answers. */
export async function startPowerDns(dir: string, o: IfUrlUpOptions): Promise<PowerDns> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const candidates = o.candidates.map((ip) => `'${ip}'`).join(',');
  // The URL's host only names the Host header: ifurlup connects to each candidate address in turn.
  const record = `ifurlup('http://${o.domain}:${o.port}${o.path}', {{${candidates}}}, {selector='all', timeout=${o.timeoutS}, minimumFailures=${o.fall}})`;
  const label = o.domain.slice(0, -(o.zone.length + 1));
  writeFileSync(
    join(dir, `${o.zone}.zone`),
    `$ORIGIN ${o.zone}.
$TTL ${o.ttl}
@    IN SOA ns.${o.zone}. hostmaster.${o.zone}. 1 3600 600 86400 ${o.ttl}
@    IN NS  ns.${o.zone}.
ns   IN A   127.0.0.1
${label}  IN LUA A "${record}"
`,
  );
  writeFileSync(join(dir, 'named.conf'), `zone "${o.zone}" { type master; file "${join(dir, `${o.zone}.zone`)}"; };\n`);
  writeFileSync(
    join(dir, 'pdns.conf'),
    [
      'launch=bind',
      `bind-config=${join(dir, 'named.conf')}`,
      `local-address=127.0.0.1:${port}`,
      `socket-dir=${dir}`,
      'guardian=no',
      'daemon=no',
      'write-pid=no',
      'disable-syslog=yes',
      'loglevel=4',
      'enable-lua-records=yes',
      `lua-health-checks-interval=${o.intervalS}`,
      // No caches: every answer is computed from the health state of that moment, as xplane's is.
      'cache-ttl=0',
      'query-cache-ttl=0',
      'negquery-cache-ttl=0',
      '',
    ].join('\n'),
  );
  const pdns: ChildProcess = spawn(PDNS, [`--config-dir=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (c: Buffer): void => {
    log = (log + c.toString()).slice(-8000);
  };
  pdns.stdout?.on('data', keep);
  pdns.stderr?.on('data', keep);
  const stop = (): void => {
    if (pdns.exitCode === null && pdns.signalCode === null) pdns.kill('SIGKILL');
  };
  try {
    await until(
      'PowerDNS to answer',
      async () => {
        if (pdns.exitCode !== null) throw new Error(`pdns_server exited with ${pdns.exitCode}: ${log}`);
        return queryDns(`ns.${o.zone}`, RRType.A, { host: '127.0.0.1', port, timeoutMs: 300 }).then(
          () => true,
          () => undefined,
        );
      },
      15_000,
    );
  } catch (err) {
    stop();
    throw new Error(`${errorText(err)}\n${log}`, { cause: err });
  }
  return { port, record, stop };
}
