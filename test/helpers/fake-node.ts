// Nodes a loop test plays over HTTP — a /healthz server on a loopback address
// of its own and heartbeats at a fixed CPU — and the waits such tests share.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gitSync, type GitFixture } from '../../src/testing/index.js';

/** A node the test plays: a /healthz server, and heartbeats sent to whichever server `entry` names at the time. */
export class FakeNode {
  server: Server | null = null;
  token = '';
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly name: string,
    readonly region: string,
    readonly host: string,
    private readonly bootstrapToken: string,
  ) {}

  private port = 0;
  private cpu = 0;

  async up(entry: () => string, port: number, cpu: number): Promise<void> {
    this.server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => this.server?.listen(port, this.host, resolve));
    this.port = port;
    this.cpu = cpu;
    await this.register(entry);
  }

  /** Registers again under the same name, as a restarted agent does (a new token), while /healthz keeps answering. */
  async reregister(entry: () => string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.register(entry);
  }

  private async register(entry: () => string): Promise<void> {
    const res = await fetch(`${entry()}/v1/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.bootstrapToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'svc-plus', region: this.region, address: `${this.host}:${this.port}`, name: this.name }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    this.token = ((await res.json()) as { token: string }).token;
    const cpu = this.cpu;
    const beat = (): void => {
      void fetch(`${entry()}/v1/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: this.name, cpu }),
      }).catch(() => undefined);
    };
    beat();
    this.timer = setInterval(beat, 150);
  }

  async down(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    this.server = null;
  }
}

/** Polls `check` until it answers something other than undefined. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Every line of every commit message on the remote's main: a pass with several decisions lists them in the body. */
export function messageLines(fixture: GitFixture): string[] {
  return gitSync(fixture.bare, 'log', '--format=%B', 'main').split('\n');
}

/**
 * Commits the settings a loop test runs on: health checks every 300 ms on `port`, a 2 s CPU
 * window, a cooldown of an hour (one scale-out per test) and two nodes in jp.
 */
export function commitFastLoop(fixture: GitFixture, port: number): void {
  const GTM = 'platform-config/gtm/svc-plus.yaml';
  const AUTOSCALE = 'platform-config/autoscale/svc-plus.yaml';
  const JP = 'stacks/Pulumi.jp.yaml';
  fixture.commit(
    {
      [GTM]: fixture
        .read(GTM)
        .replace(/port: \d+/, `port: ${port}`)
        .replace(/interval: \S+/, 'interval: 300ms')
        .replace(/timeout: \S+/, 'timeout: 200ms')
        .replace(/ttl: \d+/, 'ttl: 1'),
      [AUTOSCALE]: fixture
        .read(AUTOSCALE)
        .replace(/cpu_window: \S+/, 'cpu_window: 2s')
        .replace(/cooldown: \S+/, 'cooldown: 1h')
        .replace(/max_regions: \d+/, 'max_regions: 2'),
      [JP]: fixture.read(JP).replace('nodes: [jp-svc-plus-1]', 'nodes: [jp-svc-plus-1, jp-svc-plus-2]'),
    },
    'test: fast checks, two nodes in jp',
  );
}
