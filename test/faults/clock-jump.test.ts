// Fault: the wall clock steps (NTP correction, a VM resumed from suspend)
// while every node heartbeats on time. Heartbeat timeouts must be measured on
// a monotonic clock: a forward step must not mark a healthy fleet down, and a
// backward step must not keep a dead node up for the size of the step.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Declarations } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { NodeRegistry, type NodeTransition } from '../../src/nodes/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { seedDeclarations } from '../../src/testing/index.js';

const HOUR = 3_600_000;
const NODE = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

/** A wall clock that a test can step, and a monotonic clock that only moves forward with real time. */
class Clocks {
  wall = Date.UTC(2030, 0, 1);
  mono = 1_000;
  /** Real time passes: both clocks move. */
  pass(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
  /** The wall clock is stepped; no time passes. */
  step(ms: number): void {
    this.wall += ms;
  }
}

/** A config whose services are heartbeat-only (interval 5 s, fall 3: down after 15 s of silence). */
function heartbeatOnly(seed: Declarations, health?: { interval: number; fall: number }): Declarations {
  const gtm = seed.gtm['svc-plus'];
  assert.ok(gtm);
  const withHealth = health ? { ...gtm, health: { ...gtm.health, ...health } } : gtm;
  return { ...seed, gtm: { 'svc-plus': withHealth } };
}

describe('clock jumps', () => {
  let seed: Declarations;
  before(async () => {
    seed = await seedDeclarations();
  });

  it('marks no healthy node down and keeps none up when the wall clock steps 1 h forward and back', () => {
    const config = heartbeatOnly(seed);
    const clocks = new Clocks();
    const registry = new NodeRegistry({
      store: new MemoryStore(),
      log: silentLogger(),
      config: () => config,
      probing: false,
      now: () => clocks.wall,
      monotonic: () => clocks.mono,
    });
    const transitions: NodeTransition[] = [];
    registry.onTransition((t) => transitions.push(t));
    const nodes = [registry.register(NODE), registry.register(NODE), registry.register(NODE)];
    const silent = new Set<string>();
    const beatAll = (): void => {
      for (const n of nodes) if (!silent.has(n.name)) registry.heartbeat(n.token, { name: n.name, cpu: 0.2 });
    };
    // 500 ms sweeps as in start(); a heartbeat every 5 s (the interval), offset so beats and sweeps interleave.
    const run = (ms: number): void => {
      for (let t = 0; t < ms; t += 500) {
        clocks.pass(500);
        if ((clocks.mono - 1_000) % 5_000 === 2_500) beatAll();
        registry.sweep();
      }
    };
    beatAll();
    beatAll();
    for (const n of nodes) assert.equal(registry.get(n.name)?.state, 'active');

    run(60_000);
    clocks.step(HOUR);
    run(60_000);
    clocks.step(-HOUR);
    run(60_000);
    clocks.step(-HOUR);
    run(60_000);
    const downs = transitions.filter((t) => t.to === 'down');
    assert.deepEqual(downs, [], 'no healthy node goes down across the steps');
    for (const n of nodes) assert.equal(registry.get(n.name)?.state, 'active');
    const stamp = registry.get(nodes[0]?.name ?? '')?.lastHeartbeat;
    assert.equal(stamp, new Date(clocks.wall - 2_500).toISOString(), 'records keep wall-clock timestamps');

    // Right after a backward step, one node dies: it is down after fall × interval of
    // silence (plus one sweep), not after the hour the wall clock went back.
    const dead = nodes[1];
    assert.ok(dead);
    registry.heartbeat(dead.token, { name: dead.name, cpu: 0.2 });
    const diedAt = clocks.mono;
    silent.add(dead.name);
    clocks.step(-HOUR);
    while (registry.get(dead.name)?.state !== 'down' && clocks.mono - diedAt < 2 * HOUR) run(500);
    const after = clocks.mono - diedAt;
    assert.ok(after > 15_000 && after <= 16_000, `down ${after} ms after its last heartbeat, expected 15–16 s`);
    assert.equal(registry.get(nodes[0]?.name ?? '')?.state, 'active');
    assert.equal(registry.get(nodes[2]?.name ?? '')?.state, 'active');

    // And a forward step right after another node's last heartbeat does not take it down early.
    const late = nodes[2];
    assert.ok(late);
    registry.heartbeat(late.token, { name: late.name, cpu: 0.2 });
    const lateAt = clocks.mono;
    silent.add(late.name);
    clocks.step(HOUR);
    while (registry.get(late.name)?.state !== 'down' && clocks.mono - lateAt < 2 * HOUR) run(500);
    const lateAfter = clocks.mono - lateAt;
    assert.ok(lateAfter > 15_000 && lateAfter <= 16_000, `down ${lateAfter} ms after its last heartbeat, expected 15–16 s`);
    assert.equal(registry.get(nodes[0]?.name ?? '')?.state, 'active');
  });

  it('reports a node’s current CPU after the wall clock steps back 1 h', () => {
    const clocks = new Clocks();
    const registry = new NodeRegistry({
      store: new MemoryStore(),
      log: silentLogger(),
      config: () => seed,
      probing: false,
      now: () => clocks.wall,
      monotonic: () => clocks.mono,
    });
    const node = registry.register(NODE);
    const beat = (cpu: number, ms: number): void => {
      for (let t = 0; t < ms; t += 5_000) {
        clocks.pass(5_000);
        registry.heartbeat(node.token, { name: node.name, cpu });
      }
    };
    beat(0.9, 120_000);
    clocks.step(-HOUR);
    beat(0.1, 60_000);
    const cpu = registry.nodeMetrics(node.name)?.cpu;
    assert.ok(cpu !== undefined && Math.abs(cpu - 0.1) < 1e-9, `cpu ${cpu} a full window after the step, expected 0.1`);
  });

  it('uses a monotonic clock by default: stepping Date.now in the running process takes no node down', async () => {
    // The production wiring: no clocks injected, real timers (the 500 ms sweep of start()).
    const config = heartbeatOnly(seed, { interval: 200, fall: 3 });
    const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => config, probing: false });
    const transitions: NodeTransition[] = [];
    registry.onTransition((t) => transitions.push(t));
    const realNow = Date.now.bind(Date);
    let offset = 0;
    Date.now = () => realNow() + offset;
    const nodes = [registry.register(NODE), registry.register(NODE)];
    const silent = new Set<string>();
    const beats = setInterval(() => {
      for (const n of nodes) if (!silent.has(n.name)) registry.heartbeat(n.token, { name: n.name, cpu: 0.1 });
    }, 100);
    registry.start();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await sleep(700);
      offset = HOUR;
      await sleep(1_200);
      offset = 0;
      await sleep(1_200);
      offset = -HOUR;
      await sleep(1_200);
      assert.deepEqual(
        transitions.filter((t) => t.to === 'down'),
        [],
        'no node goes down across the steps',
      );
      for (const n of nodes) assert.equal(registry.get(n.name)?.state, 'active');

      const dead = nodes[0];
      assert.ok(dead);
      silent.add(dead.name);
      const diedAt = performance.now();
      offset = -2 * HOUR;
      while (registry.get(dead.name)?.state !== 'down' && performance.now() - diedAt < 10_000) await sleep(50);
      const after = performance.now() - diedAt;
      // fall 3 × 200 ms, plus up to one 500 ms sweep, plus scheduling slack on a busy machine.
      assert.ok(after < 3_000, `down after ${Math.round(after)} ms, expected within about 1.1 s`);
      assert.equal(registry.get(nodes[1]?.name ?? '')?.state, 'active');
    } finally {
      clearInterval(beats);
      Date.now = realNow;
      await registry.stop();
    }
  });
});
