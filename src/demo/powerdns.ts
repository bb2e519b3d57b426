// `xplane demo --dns powerdns`: the playground answers from a local PowerDNS
// (src/powerdns) instead of the embedded DNS server. It listens where the
// embedded one would (`--dns-listen`), its API at PowerDNS's own default
// address, 127.0.0.1:8081, which is also the program's default
// xplane:powerdnsApiUrl, so the seeded stacks need no PowerDNS setting; the
// API key is made per start and reaches converge as XPLANE_POWERDNS_API_KEY.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findPowerDns, startPowerDns, type PowerDnsServer } from '../powerdns/index.js';
import { stopProcesses } from './leftovers.js';
import { allProcesses, commandLine, runs } from './proc.js';

/** Where the playground's PowerDNS API listens: PowerDNS's default, and the program's default xplane:powerdnsApiUrl. */
export const PLAYGROUND_POWERDNS_API = { host: '127.0.0.1', port: 8081 } as const;

/** A running playground PowerDNS and the key of its API. */
export interface PlaygroundPowerDns {
  server: PowerDnsServer;
  apiKey: string;
  version: string;
}

/** Starts the playground's pdns_server in `<dir>/pdns`; null (with the reason said) when PowerDNS is not installed. */
export async function startPlaygroundPowerDns(dir: string, dnsListen: string, say: (line: string) => void): Promise<PlaygroundPowerDns | null> {
  const install = findPowerDns();
  if (typeof install === 'string') {
    say(`--dns powerdns: ${install}; or start the playground with the embedded DNS (no --dns)`);
    return null;
  }
  const pdnsDir = join(dir, 'pdns');
  // A pdns_server an earlier playground here left running (kill -9) would hold the addresses.
  const leftover = allProcesses().filter((p) => runs(p, 'pdns_server') && commandLine(p).includes(`--config-dir=${pdnsDir}`));
  if (leftover.length > 0) {
    say(`stopping the PowerDNS an earlier playground left running (pid ${leftover.map((p) => p.pid).join(', ')})`);
    await stopProcesses(
      leftover.map((p) => p.pid),
      2_000,
    );
  }
  const apiKey = randomBytes(18).toString('base64url');
  const [dnsHost, dnsPort] = [dnsListen.replace(/:\d+$/, ''), Number(dnsListen.replace(/^.*:/, ''))];
  const server = await startPowerDns({
    install,
    dir: pdnsDir,
    dnsHost,
    dnsPort,
    apiHost: PLAYGROUND_POWERDNS_API.host,
    apiPort: PLAYGROUND_POWERDNS_API.port,
    apiKey,
    zones: ['svc.plus'],
    // The seed's gtm health interval (seed.ts), and each query a fresh weighted pick, as with the embedded DNS.
    healthCheckInterval: 1,
    noCache: true,
  });
  return { server, apiKey, version: install.version };
}
