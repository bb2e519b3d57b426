import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { Agent, type Sleep } from './agent.js';
import { FakeNodeServer } from './fake-node-server.js';
import { loadStats, LoadSimulator, type LoadWindow } from './simulate-load.js';

describe('loadStats', () => {
  const cases: { name: string; window: LoadWindow; capacity: number; want: ReturnType<typeof loadStats> }[] = [
    {
      name: 'reports nothing served as idle',
      window: { requests: 0, errors: 0, serveMsTotal: 0, elapsedMs: 1000 },
      capacity: 100,
      want: { cpu: 0, qps: 0, errorRate: 0, rttMs: 0 },
    },
    {
      name: 'derives cpu from qps over capacity',
      window: { requests: 100, errors: 0, serveMsTotal: 50, elapsedMs: 2000 },
      capacity: 100,
      want: { cpu: 0.5, qps: 50, errorRate: 0, rttMs: 0.5 },
    },
    {
      name: 'caps cpu at 1 above capacity',
      window: { requests: 300, errors: 0, serveMsTotal: 0, elapsedMs: 1000 },
      capacity: 100,
      want: { cpu: 1, qps: 300, errorRate: 0, rttMs: 0 },
    },
    {
      name: 'reports the share of 5xx as the error rate',
      window: { requests: 10, errors: 3, serveMsTotal: 20, elapsedMs: 1000 },
      capacity: 20,
      want: { cpu: 0.5, qps: 10, errorRate: 0.3, rttMs: 2 },
    },
    {
      name: 'reports zero qps for an empty window',
      window: { requests: 5, errors: 0, serveMsTotal: 5, elapsedMs: 0 },
      capacity: 100,
      want: { cpu: 0, qps: 0, errorRate: 0, rttMs: 1 },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(loadStats(c.window, c.capacity), c.want));
});

/** Sleeps only when the test says so, so each heartbeat's window is known. */
function gatedSleep(): { sleep: Sleep; release: () => void; waiting: () => number } {
  let pending: (() => void)[] = [];
  return {
    sleep: (_ms, signal) =>
      new Promise<void>((resolve) => {
        pending.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    release: () => {
      const now = pending;
      pending = [];
      for (const resolve of now) resolve();
    },
    waiting: () => pending.length,
  };
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('LoadSimulator behind the agent', { timeout: 30_000 }, () => {
  let fake: FakeNodeServer;
  let url: string;
  before(async () => {
    fake = new FakeNodeServer({ heartbeatIntervalMs: 50 });
    url = await fake.start();
  });
  after(() => fake.close());

  it('answers every path but /healthz with the node name', async () => {
    const sim = new LoadSimulator();
    const agent = new Agent({
      server: url,
      bootstrapToken: 'boot-secret',
      service: 'svc-plus',
      region: 'jp',
      address: '127.0.0.1:0',
      log: silentLogger(),
      stats: sim,
      handler: sim.handle,
    });
    await agent.start();
    try {
      await waitFor('registration', () => agent.state !== undefined);
      for (const path of ['/', '/api/things?x=1']) {
        const res = await fetch(`http://${agent.address}${path}`, { signal: AbortSignal.timeout(5_000) });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { node: agent.name });
      }
      const health = await fetch(`http://${agent.address}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(await health.text(), 'ok');
    } finally {
      await agent.stop();
    }
  });

  it('reports the requests served since the last heartbeat as qps, cpu, errorRate and rttMs', async () => {
    let clock = 0;
    const sim = new LoadSimulator({ capacity: 50, now: () => clock });
    const gate = gatedSleep();
    const agent = new Agent({
      server: url,
      bootstrapToken: 'boot-secret',
      service: 'svc-plus',
      region: 'jp',
      name: 'jp-sim-1',
      address: '127.0.0.1:0',
      log: silentLogger(),
      stats: sim,
      handler: sim.handle,
      sleep: gate.sleep,
    });
    const beats = (): Record<string, unknown>[] =>
      fake
        .received('/v1/nodes/heartbeat')
        .filter((r) => r.body.name === 'jp-sim-1')
        .map((r) => r.body);
    await agent.start();
    try {
      await waitFor('first heartbeat', () => beats().length === 1 && gate.waiting() === 1);
      assert.deepEqual(beats()[0], { name: 'jp-sim-1', cpu: 0, qps: 0, errorRate: 0, rttMs: 0 });

      const N = 30;
      for (let i = 0; i < N; i += 1) {
        const res = await fetch(`http://${agent.address}/`, { signal: AbortSignal.timeout(5_000) });
        await res.text();
      }
      // The test's requests are the only traffic; the window is exactly 2 s of the fake clock.
      clock += 2_000;
      gate.release();
      await waitFor('second heartbeat', () => beats().length === 2);
      assert.deepEqual(beats()[1], { name: 'jp-sim-1', cpu: 0.3, qps: 15, errorRate: 0, rttMs: 0 });

      await waitFor('agent asleep again', () => gate.waiting() === 1);
      clock += 1_000;
      gate.release();
      await waitFor('third heartbeat', () => beats().length === 3);
      assert.equal(beats()[2]?.qps, 0, 'the window starts again after each heartbeat');
    } finally {
      await agent.stop();
    }
  });
});
