import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { silentLogger } from '../log/index.js';
import { Agent, type AgentEvent, type AgentOptions } from './agent.js';
import { FakeNodeServer } from './fake-node-server.js';
import { ProcStats } from './proc-stats.js';
import type { NodeStats } from './stats.js';

const TOKEN = 'boot-secret';

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function capturingLogger(): { log: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines };
}

/** A running agent plus what it emitted, stopped after each test. */
async function startAgent(server: string, extra: Partial<AgentOptions> = {}): Promise<{ agent: Agent; events: AgentEvent[] }> {
  const events: AgentEvent[] = [];
  const agent = new Agent({
    server,
    bootstrapToken: TOKEN,
    service: 'svc-plus',
    region: 'jp',
    address: '127.0.0.1:0',
    log: silentLogger(),
    stats: { sample: (): NodeStats => ({ cpu: 0.25, mem: 0.5 }) },
    backoff: { initialMs: 20, maxMs: 100 },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  await agent.start();
  return { agent, events };
}

async function healthz(address: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text() };
}

describe('Agent', { timeout: 30_000 }, () => {
  let fake: FakeNodeServer;
  let url: string;
  before(async () => {
    fake = new FakeNodeServer({ bootstrapToken: TOKEN, heartbeatIntervalMs: 50 });
    url = await fake.start();
  });
  after(() => fake.close());

  it('registers with the bootstrap token, sending its bound address and labels', async () => {
    const { agent } = await startAgent(url, { name: 'jp-reg-1', labels: { zone: 'a' } });
    try {
      await waitFor('registration', () => agent.state !== undefined);
      const reg = fake.received('/v1/nodes/register').find((r) => r.body.name === 'jp-reg-1');
      assert.ok(reg);
      assert.equal(reg.token, TOKEN);
      assert.deepEqual(reg.body, { service: 'svc-plus', region: 'jp', address: agent.address, name: 'jp-reg-1', labels: { zone: 'a' } });
      assert.match(agent.address ?? '', /^127\.0\.0\.1:\d+$/);
      assert.notEqual(agent.address, '127.0.0.1:0');
    } finally {
      await agent.stop();
    }
  });

  it('heartbeats at the server interval with the node token and real cpu in 0..1', async () => {
    const { agent, events } = await startAgent(url, { name: 'jp-beat-1', stats: new ProcStats() });
    try {
      await waitFor('three heartbeats', () => fake.received('/v1/nodes/heartbeat').filter((r) => r.body.name === 'jp-beat-1').length >= 3);
      const beats = fake.received('/v1/nodes/heartbeat').filter((r) => r.body.name === 'jp-beat-1');
      for (const beat of beats) {
        assert.match(beat.token ?? '', /^node-token-/);
        const { cpu, mem } = beat.body;
        assert.ok(typeof cpu === 'number' && cpu >= 0 && cpu <= 1, `cpu ${String(cpu)}`);
        assert.ok(typeof mem === 'number' && mem >= 0 && mem <= 1, `mem ${String(mem)}`);
        assert.equal(beat.body.qps, undefined);
      }
      const gaps = beats.slice(1).map((b, i) => b.at - (beats[i]?.at ?? 0));
      assert.ok(
        gaps.every((g) => g >= 30),
        `gaps ${gaps.join(',')}`,
      );
      await waitFor('active', () => agent.state === 'active');
      assert.deepEqual(
        events.map((e) => (e.type === 'registered' ? `registered ${e.name}` : `state ${e.state}`)),
        ['registered jp-beat-1', 'state warm', 'state active'],
      );
    } finally {
      await agent.stop();
    }
  });

  it('registers again after a 404 and keeps the name the server gave', async () => {
    const { agent, events } = await startAgent(url);
    try {
      await waitFor('registration', () => agent.state !== undefined);
      const name = agent.name;
      assert.match(name ?? '', /^jp-svc-plus-\d+$/);
      fake.forget(name ?? '');
      await waitFor('re-registration', () => events.filter((e) => e.type === 'registered').length === 2);
      const regs = fake.received('/v1/nodes/register').filter((r) => r.body.name === name);
      assert.equal(regs.length, 1, 'the second registration asks for the same name');
      assert.equal(agent.name, name);
      const before = fake.received('/v1/nodes/heartbeat').length;
      await waitFor('heartbeats after re-registering', () =>
        fake
          .received('/v1/nodes/heartbeat')
          .slice(before)
          .some((r) => r.body.name === name && r.token !== undefined),
      );
    } finally {
      await agent.stop();
    }
  });

  it('registers again after a 401 on heartbeat', async () => {
    const { agent, events } = await startAgent(url, { name: 'jp-401-1' });
    try {
      await waitFor('registration', () => agent.state !== undefined);
      fake.script('/v1/nodes/heartbeat', { status: 401 });
      await waitFor('re-registration', () => events.filter((e) => e.type === 'registered').length === 2);
      assert.equal(agent.name, 'jp-401-1');
    } finally {
      await agent.stop();
    }
  });

  it('backs off on 503 and then registers', async () => {
    const waits: number[] = [];
    fake.script('/v1/nodes/register', { status: 503 }, 3);
    const { agent } = await startAgent(url, {
      name: 'jp-503-1',
      random: () => 1,
      sleep: (ms, signal) => {
        waits.push(ms);
        return new Promise((resolve) => {
          const t = setTimeout(resolve, Math.min(ms, 100));
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              resolve();
            },
            { once: true },
          );
        });
      },
    });
    try {
      await waitFor('registration', () => agent.state !== undefined);
      assert.deepEqual(waits.slice(0, 3), [20, 40, 80], 'waits double between attempts');
      assert.equal(fake.received('/v1/nodes/register').filter((r) => r.body.name === 'jp-503-1').length, 4);
    } finally {
      await agent.stop();
    }
  });

  it('waits as long as Retry-After says on 429', async () => {
    const waits: number[] = [];
    fake.script('/v1/nodes/register', { status: 429, headers: { 'retry-after': '7' } });
    const { agent } = await startAgent(url, {
      name: 'jp-429-1',
      sleep: async (ms) => {
        waits.push(ms);
        await new Promise((r) => setTimeout(r, Math.min(ms, 20)));
      },
    });
    try {
      await waitFor('registration', () => agent.state !== undefined);
      assert.equal(waits[0], 7_000);
    } finally {
      await agent.stop();
    }
  });

  it('gives up with the server message on 409 and closes its listener', async () => {
    const { log, lines } = capturingLogger();
    fake.script('/v1/nodes/register', {
      status: 409,
      body: { error: { code: 'XP_ERR_CONFLICT', message: 'name jp-gone-1 belongs to a deleted node', field: 'name' } },
    });
    const { agent } = await startAgent(url, { name: 'jp-gone-1', log });
    const result = await agent.wait();
    assert.equal(result.ok, false);
    assert.match(result.reason, /409 XP_ERR_CONFLICT: name jp-gone-1 belongs to a deleted node/);
    assert.equal(fake.received('/v1/nodes/register').filter((r) => r.body.name === 'jp-gone-1').length, 1, 'no retry');
    assert.ok(lines.some((l) => l.level === 50 && l.msg.includes('deleted node')));
    await assert.rejects(healthz(agent.address ?? ''));
  });

  it('serves /healthz while registering, even with the server down', async () => {
    const { agent } = await startAgent('http://127.0.0.1:9', { backoff: { initialMs: 1_000, maxMs: 1_000 } });
    try {
      assert.deepEqual(await healthz(agent.address ?? ''), { status: 200, text: 'ok' });
      const other = await fetch(`http://${agent.address}/anything`, { signal: AbortSignal.timeout(5_000) });
      await other.text();
      assert.equal(other.status, 404, 'without --simulate-load only /healthz is served');
    } finally {
      const started = Date.now();
      await agent.stop();
      assert.ok(Date.now() - started < 500, 'stop interrupts the backoff wait');
    }
  });

  it('asks to be drained on stop({drain: true}), then closes /healthz', async () => {
    const { agent, events } = await startAgent(url, { name: 'jp-drain-1' });
    await waitFor('registration', () => agent.state !== undefined);
    assert.equal((await healthz(agent.address ?? '')).status, 200);
    const result = await agent.stop({ drain: true });
    assert.deepEqual(result, { ok: true });
    const drain = fake.received('/v1/nodes/drain').find((r) => r.body.name === 'jp-drain-1');
    assert.ok(drain, 'drain was requested');
    assert.match(drain.token ?? '', /^node-token-/, 'with the node token');
    assert.equal(agent.state, 'drain');
    assert.deepEqual(events.at(-1), { type: 'state', name: 'jp-drain-1', state: 'drain' });
    await assert.rejects(healthz(agent.address ?? ''));
    const beats = fake.received('/v1/nodes/heartbeat').filter((r) => r.body.name === 'jp-drain-1').length;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(fake.received('/v1/nodes/heartbeat').filter((r) => r.body.name === 'jp-drain-1').length, beats, 'no heartbeat after stop');
  });

  it('gives up on a drain that does not answer within drainTimeoutMs and still stops', async () => {
    const hangingDrain = (url: string, init: RequestInit): Promise<Response> => {
      if (!url.endsWith('/v1/nodes/drain')) return fetch(url, init);
      return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    };
    const { agent } = await startAgent(url, { name: 'jp-slowdrain-1', fetch: hangingDrain, drainTimeoutMs: 100 });
    await waitFor('registration', () => agent.state !== undefined);
    const started = Date.now();
    assert.deepEqual(await agent.stop({ drain: true }), { ok: true });
    assert.ok(Date.now() - started < 2_000, `stopped after ${Date.now() - started} ms`);
    await assert.rejects(healthz(agent.address ?? ''));
  });

  it('does not drain on a plain stop', async () => {
    const { agent } = await startAgent(url, { name: 'jp-nodrain-1' });
    await waitFor('registration', () => agent.state !== undefined);
    await agent.stop();
    assert.equal(fake.received('/v1/nodes/drain').filter((r) => r.body.name === 'jp-nodrain-1').length, 0);
  });

  it('logs a heartbeat outage once, not once per beat, and logs the recovery', async () => {
    const { log, lines } = capturingLogger();
    const { agent } = await startAgent(url, { name: 'jp-outage-1', log });
    try {
      await waitFor('registration', () => agent.state !== undefined);
      fake.script('/v1/nodes/heartbeat', { status: 503 }, 5);
      await waitFor('recovery', () => lines.some((l) => l.msg === 'heartbeats accepted again'));
      assert.equal(lines.filter((l) => l.msg.startsWith('heartbeat failed')).length, 1);
    } finally {
      await agent.stop();
    }
  });

  it('keeps heartbeating with the last reading when stats fail', async () => {
    let calls = 0;
    const stats = {
      sample: (): NodeStats => {
        calls += 1;
        if (calls > 1) throw new Error('boom');
        return { cpu: 0.4 };
      },
    };
    const { agent } = await startAgent(url, { name: 'jp-stats-1', stats });
    try {
      await waitFor('three heartbeats', () => fake.received('/v1/nodes/heartbeat').filter((r) => r.body.name === 'jp-stats-1').length >= 3);
      assert.ok(
        fake
          .received('/v1/nodes/heartbeat')
          .filter((r) => r.body.name === 'jp-stats-1')
          .every((r) => r.body.cpu === 0.4),
      );
    } finally {
      await agent.stop();
    }
  });

  it('rejects start when the address is taken', async () => {
    const { agent } = await startAgent(url, { name: 'jp-first-1' });
    try {
      const second = new Agent({
        server: url,
        bootstrapToken: TOKEN,
        service: 's',
        region: 'r',
        address: agent.address ?? '',
        log: silentLogger(),
        stats: { sample: () => ({ cpu: 0 }) },
      });
      await assert.rejects(second.start(), /EADDRINUSE/);
    } finally {
      await agent.stop();
    }
  });
});
