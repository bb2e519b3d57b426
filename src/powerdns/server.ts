// A PowerDNS Authoritative Server on this machine, for the playground
// (`xplane demo --dns powerdns`) and the tests: a foreground `pdns_server` with
// its own config folder, the SQLite backend (its schema from the Debian
// package), its HTTP API on a loopback address with an API key, LUA records
// on, and the zones it should serve created through that API. The xplane
// program then writes records into them as it would into any PowerDNS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryDns, RRType } from '../dns/index.js';
import { errorText } from '../errors.js';

/** Where Debian's pdns-backend-sqlite3 puts the schema of its database. */
export const SQLITE_SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';

/** The binaries and files a local PowerDNS needs, or why it cannot run here. */
export interface PowerDnsInstall {
  binary: string;
  schema: string;
  version: string;
}

/** Finds pdns_server and the SQLite backend's schema; a string says what is missing (and how to install it). */
export function findPowerDns(env: Readonly<Record<string, string | undefined>> = process.env): PowerDnsInstall | string {
  const candidates = [env.XPLANE_PDNS_SERVER, '/usr/sbin/pdns_server', 'pdns_server'].filter((c): c is string => c !== undefined && c !== '');
  for (const binary of candidates) {
    const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (run.error) continue;
    const version = /PowerDNS Authoritative Server (\S+)/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? 'unknown';
    if (!existsSync(SQLITE_SCHEMA)) return `pdns_server ${version} is installed but its SQLite backend is not (apt-get install pdns-backend-sqlite3)`;
    return { binary, schema: SQLITE_SCHEMA, version };
  }
  return 'no pdns_server here (apt-get install pdns-server pdns-backend-sqlite3)';
}

/** How to start a local PowerDNS. */
export interface PowerDnsServerOptions {
  install: PowerDnsInstall;
  /** Its folder: pdns.conf, the SQLite database, the control socket. Kept between starts (the zones' records stay). */
  dir: string;
  /** DNS, `127.0.0.1:5353`: loopback only. */
  dnsHost: string;
  dnsPort: number;
  /** The HTTP API (and webserver), on loopback. */
  apiHost: string;
  apiPort: number;
  apiKey: string;
  /** Zones it serves; created through the API (with NS ns1.<zone>, answered with dnsHost) when missing. */
  zones: readonly string[];
  /** lua-health-checks-interval: how often ifurlup/ifportup check a candidate, in seconds (PowerDNS's default 5). */
  healthCheckInterval?: number;
  /**
   * Answer every query afresh (cache-ttl, query-cache-ttl, negquery-cache-ttl 0): each answer is then a new
   * weighted pick over the nodes up at that moment. With caches on (PowerDNS's default), a pick is repeated
   * for up to cache-ttl seconds.
   */
  noCache?: boolean;
  /** Called with each line pdns_server prints. */
  onLog?: (line: string) => void;
}

/** A running local PowerDNS. */
export interface PowerDnsServer {
  /** `http://<apiHost>:<apiPort>`: xplane:powerdnsApiUrl. */
  apiUrl: string;
  dnsHost: string;
  dnsPort: number;
  /** The last lines it printed. */
  log(): string;
  /** Stops it: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** How long start waits for the API and the DNS port to answer. */
const START_TIMEOUT_MS = 20_000;

/** Starts pdns_server in the foreground and resolves once its API and DNS answer and the zones exist. */
export async function startPowerDns(opts: PowerDnsServerOptions): Promise<PowerDnsServer> {
  mkdirSync(opts.dir, { recursive: true });
  const database = join(opts.dir, 'pdns.sqlite3');
  if (!existsSync(database)) await createDatabase(database, opts.install.schema);
  writeFileSync(join(opts.dir, 'pdns.conf'), config(opts, database));

  const child = spawn(opts.install.binary, [`--config-dir=${opts.dir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    const text = chunk.toString();
    tail = (tail + text).slice(-8000);
    if (opts.onLog) for (const line of text.split('\n')) if (line.trim() !== '') opts.onLog(line);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const server: PowerDnsServer = {
    apiUrl: `http://${opts.apiHost}:${opts.apiPort}`,
    dnsHost: opts.dnsHost,
    dnsPort: opts.dnsPort,
    log: () => tail,
    stop: () => stop(child),
  };
  try {
    await waitUntilUp(server, opts, child);
    for (const zone of opts.zones) await ensureZone(server, opts, zone);
  } catch (err) {
    await server.stop();
    throw new Error(`PowerDNS did not start: ${errorText(err)}\n${tail}`, { cause: err });
  }
  return server;
}

async function createDatabase(path: string, schema: string): Promise<void> {
  // Loaded here, not at the top: only a start that creates the database needs it.
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path);
  try {
    db.exec(readFileSync(schema, 'utf8'));
  } catch (err) {
    db.close();
    rmSync(path, { force: true });
    throw err;
  }
  db.close();
}

function config(opts: PowerDnsServerOptions, database: string): string {
  const lines = [
    'launch=gsqlite3',
    `gsqlite3-database=${database}`,
    `local-address=${opts.dnsHost}:${opts.dnsPort}`,
    `socket-dir=${opts.dir}`,
    'guardian=no',
    'daemon=no',
    'write-pid=no',
    'disable-syslog=yes',
    'log-timestamp=no',
    'loglevel=4',
    // The SOA of the zones it creates: ns1.<zone> (answered with dnsHost), hostmaster.<zone>.
    'default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600',
    'api=yes',
    `api-key=${opts.apiKey}`,
    'webserver=yes',
    `webserver-address=${opts.apiHost}`,
    `webserver-port=${opts.apiPort}`,
    'webserver-allow-from=127.0.0.0/8,::1',
    // xplane's answers are LUA records (program/dns/powerdns-lua.ts).
    'enable-lua-records=yes',
    `lua-health-checks-interval=${opts.healthCheckInterval ?? 5}`,
    // No zone transfers or notifications: this server is the only one.
    'disable-axfr=yes',
  ];
  if (opts.noCache) lines.push('cache-ttl=0', 'query-cache-ttl=0', 'negquery-cache-ttl=0');
  return `${lines.join('\n')}\n`;
}

async function waitUntilUp(server: PowerDnsServer, opts: PowerDnsServerOptions, child: ChildProcess): Promise<void> {
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pdns_server exited (${child.exitCode ?? child.signalCode ?? ''})`);
    const up = await Promise.all([
      api(server, opts, 'GET', '/api/v1/servers/localhost').then(
        (res) => res.status === 200,
        () => false,
      ),
      queryDns('.', RRType.SOA, { host: opts.dnsHost, port: opts.dnsPort, timeoutMs: 300 }).then(
        () => true,
        () => false,
      ),
    ]);
    if (up.every(Boolean)) return;
    if (Date.now() > end) throw new Error(`no answer from its API (${server.apiUrl}) and DNS (${opts.dnsHost}:${opts.dnsPort}) after ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ensureZone(server: PowerDnsServer, opts: PowerDnsServerOptions, zone: string): Promise<void> {
  const name = zone.endsWith('.') ? zone : `${zone}.`;
  const existing = await api(server, opts, 'GET', `/api/v1/servers/localhost/zones/${encodeURIComponent(name)}`);
  if (existing.status === 200) return;
  const ns = `ns1.${name}`;
  const created = await api(server, opts, 'POST', '/api/v1/servers/localhost/zones', {
    name,
    kind: 'Native',
    nameservers: [ns],
    rrsets: [{ name: ns, type: 'A', ttl: 3600, changetype: 'REPLACE', records: [{ content: opts.dnsHost, disabled: false }] }],
  });
  if (created.status !== 201) throw new Error(`creating zone ${name}: ${created.status} ${await created.text()}`);
}

function api(server: PowerDnsServer, opts: PowerDnsServerOptions, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.apiUrl}${path}`, {
    method,
    headers: { 'X-API-Key': opts.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(2000),
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
