// The playground (`xplane demo`) as a child process for end-to-end tests, and
// what those tests do to it: read its API, DNS and Git remote, and send load
// at a node the way a client would.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { queryDns, RRType } from '../../src/dns/index.js';
import { REPO_ROOT } from '../../src/testing/index.js';
import { freePort } from './serve.js';

/** The playground's admin token (`src/demo/demo.ts`). */
export const DEMO_ADMIN = 'demo-admin-token';

/** Polls `check` every 100 ms until it returns a value; a throw counts as "not yet". */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A node as GET /v1/nodes shows it. */
export interface NodeView {
  name: string;
  region: string;
  address: string;
  state: string;
}

/** A running `xplane demo`. */
export interface Playground {
  dir: string;
  child: ChildProcess;
  api: string;
  dnsPort: number;
  /** The bare GitOps remote the loop pushes to. */
  bare: string;
  stdout(): string;
  stderr(): string;
  nodes(): Promise<NodeView[]>;
  /** GET /v1/services/:service. */
  status(service: string): Promise<ServiceStatus>;
  /** The A addresses seen over `n` queries of api.svc.plus. */
  answers(n: number): Promise<Set<string>>;
  /** Every line of every commit message on the remote's main, newest first. */
  messageLines(): string[];
  /** The pid the local target recorded for `node`, or undefined without a pid file. */
  pidOf(node: string): number | undefined;
  /** SIGKILLs every agent that has a pid file (cleanup). */
  killAgents(): void;
}

/** The parts of GET /v1/services/:service these tests read. */
export interface ServiceStatus {
  regions: Record<string, { holds: { key: string; commit: string }[]; autoscale: { cpu: number | 'stale'; reason: string } | null }>;
}

/**
 * Whether a process with this pid runs. A zombie does not: a stopped agent's
 * parent (a Pulumi provider process) may exit without reaping it, and not
 * every init reaps orphans.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Runs git read-only in `cwd` and returns trimmed stdout. */
export function gitOut(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Starts `xplane demo` in `dir` on free ports and waits for "xplane playground is up". */
export async function startPlayground(dir: string, cli: string): Promise<Playground> {
  const apiPort = await freePort();
  const dnsPort = await freePort();
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin/xplane.js'), 'demo', '--dir', dir, '--listen', `127.0.0.1:${apiPort}`, '--dns-listen', `127.0.0.1:${dnsPort}`],
    {
      env: { ...process.env, PULUMI_CLI_PATH: cli, XPLANE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
  const api = `http://127.0.0.1:${apiPort}`;
  const auth = { authorization: `Bearer ${DEMO_ADMIN}` };
  const bare = join(dir, 'platform.git');
  const nodesDir = join(dir, 'checkout', '.xplane', 'local', 'nodes');
  const pg: Playground = {
    dir,
    child,
    api,
    dnsPort,
    bare,
    stdout: () => stdout,
    stderr: () => stderr,
    async nodes() {
      const res = await fetch(`${api}/v1/nodes`, { headers: auth });
      if (res.status !== 200) throw new Error(`GET /v1/nodes: ${res.status}`);
      return (await res.json()) as NodeView[];
    },
    async status(service) {
      const res = await fetch(`${api}/v1/services/${service}`, { headers: auth });
      if (res.status !== 200) throw new Error(`GET /v1/services/${service}: ${res.status}`);
      return (await res.json()) as ServiceStatus;
    },
    async answers(n) {
      const seen = new Set<string>();
      for (let i = 0; i < n; i += 1) {
        const reply = await queryDns('api.svc.plus', RRType.A, { host: '127.0.0.1', port: dnsPort });
        for (const rr of reply.answers) if (rr.data.kind === 'a') seen.add(rr.data.address);
      }
      return seen;
    },
    messageLines() {
      return gitOut(bare, 'log', '--format=%B', 'main').split('\n');
    },
    pidOf(node) {
      try {
        const pid = Number(readFileSync(join(nodesDir, `${node}.pid`), 'utf8'));
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
      } catch {
        return undefined;
      }
    },
    killAgents() {
      let files: string[];
      try {
        files = readdirSync(nodesDir);
      } catch {
        return;
      }
      for (const f of files) {
        if (!f.endsWith('.pid')) continue;
        const pid = pg.pidOf(f.slice(0, -'.pid'.length));
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
  await until('the playground', () => (stdout.includes('xplane playground is up') ? true : undefined), 90_000);
  return pg;
}

/** Sends GET / to one node at a steady rate, like clients would; the node's simulated CPU follows. */
export class Load {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private sent = 0;
  private startedAt = 0;
  /** Answered requests. */
  ok = 0;

  constructor(
    private readonly address: string,
    private readonly perSecond: number,
  ) {}

  /** Starts sending; catch-up is capped so a stalled machine does not get a burst. */
  start(): void {
    const [host, port] = [this.address.slice(0, this.address.lastIndexOf(':')), Number(this.address.slice(this.address.lastIndexOf(':') + 1))];
    this.startedAt = Date.now();
    this.sent = 0;
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.perSecond);
      // Behind by more than half a second: drop the backlog rather than burst.
      if (due - this.sent > this.perSecond / 2) this.sent = due - Math.ceil(this.perSecond / 10);
      while (this.sent < due && this.inFlight < 32) {
        this.sent += 1;
        this.inFlight += 1;
        const req = request({ host, port, path: '/', agent: this.agent }, (res) => {
          res.resume();
          res.on('end', () => {
            this.inFlight -= 1;
            this.ok += 1;
          });
        });
        req.on('error', () => (this.inFlight -= 1));
        req.end();
      }
    }, 20);
  }

  /** Stops sending and closes the connections. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.agent.destroy();
  }
}
