// The registry with a fake clock and the in-memory store: states driven by
// heartbeats, probes and timeouts; persistence in batches; restart.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Declarations } from '../config/index.js';
import { silentLogger } from '../log/index.js';
import { MemoryStore } from '../store/index.js';
import { seedDeclarations } from '../testing/index.js';
import type { NodeTransition } from './liveness-tracker.js';
import { NodeRegistry } from './registry.js';

class Clock {
  constructor(public t = 1_000_000) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function make(config: Declarations | undefined, store = new MemoryStore(), clock = new Clock()) {
  const registry = new NodeRegistry({ store, log: silentLogger(), config: () => config, now: clock.now });
  const transitions: NodeTransition[] = [];
  registry.onTransition((t) => transitions.push(t));
  return { registry, store, clock, transitions };
}

const NODE = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

describe('NodeRegistry', () => {
  let seed: Declarations;
  before(async () => {
    seed = await seedDeclarations();
  });

  it('takes a probed node warm → active after rise probe passes', () => {
    const { registry, transitions } = make(seed);
    const { name } = registry.register(NODE);
    assert.equal(registry.get(name)?.state, 'warm');
    registry.applyProbe(name, { ok: true, hard: false, detail: 'status 200', ms: 1 });
    assert.equal(registry.get(name)?.state, 'warm');
    registry.applyProbe(name, { ok: true, hard: false, detail: 'status 200', ms: 1 });
    assert.equal(registry.get(name)?.state, 'active');
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to}`),
      ['warm→warm', 'warm→active'],
    );
  });

  it('does not count heartbeats as passes when the service is probed', () => {
    const { registry } = make(seed);
    const { name, token } = registry.register(NODE);
    for (let i = 0; i < 5; i += 1) registry.heartbeat(token, { name, cpu: 0.1 });
    assert.equal(registry.get(name)?.state, 'warm');
  });

  it('counts heartbeats as passes for a service without a gtm health block', () => {
    const config: Declarations = { ...seed, gtm: {} };
    const { registry } = make(config);
    const { name, token } = registry.register(NODE);
    registry.heartbeat(token, { name, cpu: 0.1 });
    assert.equal(registry.heartbeat(token, { name, cpu: 0.1 }), 'active');
  });

  it('marks an active node down after fall × interval without a heartbeat, and back through warm when it returns', () => {
    const { registry, clock, transitions } = make(seed);
    const { name, token } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.heartbeat(token, { name, cpu: 0.1 });
    clock.advance(15_000); // fall 3 × interval 5 s: not yet
    registry.sweep();
    assert.equal(registry.get(name)?.state, 'active');
    clock.advance(1);
    registry.sweep();
    assert.equal(registry.get(name)?.state, 'down');
    assert.match(transitions.at(-1)?.cause ?? '', /no heartbeat for 15s \(fall 3 × interval 5s\)/);
    registry.heartbeat(token, { name, cpu: 0.1 });
    assert.equal(registry.get(name)?.state, 'warm');
  });

  it('keeps a node the prober took down down while its agent still heartbeats, until a probe passes', () => {
    const { registry } = make(seed);
    const { name, token } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    assert.equal(registry.heartbeat(token, { name, cpu: 0.1 }), 'down');
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    assert.equal(registry.get(name)?.state, 'warm');
  });

  it('keeps a node the prober took down down when its agent registers again, until a probe passes', () => {
    const { registry, transitions } = make(seed);
    const { name } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    // A replacement process on the same address (the playground's converge restarts a killed node).
    const again = registry.register({ ...NODE, name });
    assert.equal(registry.get(name)?.state, 'down');
    assert.equal(registry.heartbeat(again.token, { name, cpu: 0.1 }), 'down');
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    assert.equal(registry.get(name)?.state, 'warm');
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    assert.equal(registry.get(name)?.state, 'active');
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to}`),
      ['warm→warm', 'warm→active', 'active→down', 'down→warm', 'warm→active'],
    );
  });

  it('takes a node down for lack of heartbeats back to warm when its agent registers again', () => {
    const { registry, clock } = make(seed);
    const { name } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    clock.advance(16_000);
    registry.sweep();
    assert.equal(registry.get(name)?.state, 'down');
    registry.register({ ...NODE, name });
    assert.equal(registry.get(name)?.state, 'warm', 'no probe failed: the registration is the news');
  });

  it('keeps a node down for lack of heartbeats down while only its health port answers', () => {
    const { registry, clock } = make(seed);
    const { name, token } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    clock.advance(16_000);
    registry.sweep();
    assert.equal(registry.get(name)?.state, 'down');
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    assert.equal(registry.get(name)?.state, 'down');
    registry.heartbeat(token, { name, cpu: 0.1 });
    assert.equal(registry.get(name)?.state, 'warm');
  });

  it('counts heartbeats as passes when probing is off', () => {
    const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => seed, probing: false });
    const { name, token } = registry.register(NODE);
    registry.heartbeat(token, { name, cpu: 0.1 });
    assert.equal(registry.heartbeat(token, { name, cpu: 0.1 }), 'active');
    assert.deepEqual(registry.probeTargets(), []);
  });

  it('takes an active node down at once on a refused probe', () => {
    const { registry } = make(seed);
    const { name } = registry.register(NODE);
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    registry.applyProbe(name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    assert.equal(registry.get(name)?.state, 'down');
  });

  it('keeps a drained node drained across a re-registration', () => {
    const { registry } = make(seed);
    const { name } = registry.register(NODE);
    registry.drain(name);
    registry.register({ ...NODE, name });
    assert.equal(registry.get(name)?.state, 'drain');
  });

  it('refuses to re-register a deleted name', () => {
    const { registry } = make(seed);
    const { name } = registry.register(NODE);
    registry.delete(name, 'removed by autoscale');
    assert.throws(() => registry.register({ ...NODE, name }), /was deleted; names are never reused/);
    assert.equal(registry.register(NODE).name, 'jp-svc-plus-2');
  });

  it('averages metrics over the window and reports a region without fresh data as stale', () => {
    const config: Declarations = { ...seed, gtm: {} };
    const { registry, clock } = make(config);
    const a = registry.register(NODE);
    const b = registry.register(NODE);
    for (const n of [a, b]) {
      registry.heartbeat(n.token, { name: n.name, cpu: 0.2, qps: 10 });
      registry.heartbeat(n.token, { name: n.name, cpu: n === a ? 0.6 : 0.2, qps: 10 });
    }
    const m = registry.regionMetrics('svc-plus', 'jp');
    assert.ok(m !== 'stale');
    assert.equal(m.nodes, 2);
    assert.ok(Math.abs(m.cpu - 0.3) < 1e-9, `cpu ${m.cpu}`);
    assert.equal(m.qps, 20);
    clock.advance(61_000);
    assert.equal(registry.regionMetrics('svc-plus', 'jp'), 'stale');
    assert.equal(registry.regionMetrics('svc-plus', 'sg'), 'stale');
  });

  it('counts only the active nodes of the asked pool, and forgets a deleted node', () => {
    const config: Declarations = { ...seed, gtm: {} };
    const { registry } = make(config);
    const beat = (n: { name: string; token: string }, cpu: number): void => {
      registry.heartbeat(n.token, { name: n.name, cpu, qps: 10 });
      registry.heartbeat(n.token, { name: n.name, cpu, qps: 10 });
    };
    const jp1 = registry.register(NODE);
    const jp2 = registry.register(NODE);
    const sg1 = registry.register({ ...NODE, region: 'sg' });
    beat(jp1, 0.2);
    beat(jp2, 0.6);
    beat(sg1, 0.9);
    const jp = registry.regionMetrics('svc-plus', 'jp');
    assert.ok(jp !== 'stale');
    assert.equal(jp.nodes, 2);
    assert.ok(Math.abs(jp.cpu - 0.4) < 1e-9, `cpu ${jp.cpu}`);
    registry.delete(jp2.name, 'removed by autoscale');
    const after = registry.regionMetrics('svc-plus', 'jp');
    assert.ok(after !== 'stale');
    assert.equal(after.nodes, 1);
    assert.ok(Math.abs(after.cpu - 0.2) < 1e-9, `cpu ${after.cpu}`);
    registry.drain(jp1.name);
    assert.equal(registry.regionMetrics('svc-plus', 'jp'), 'stale', 'a drained node is not active');
    const sg = registry.regionMetrics('svc-plus', 'sg');
    assert.ok(sg !== 'stale' && sg.nodes === 1);
  });

  it('gives a new average when a heartbeat arrives at the same instant as the last question', () => {
    const config: Declarations = { ...seed, gtm: {} };
    const { registry } = make(config);
    const { name, token } = registry.register(NODE);
    registry.heartbeat(token, { name, cpu: 0.2 });
    registry.heartbeat(token, { name, cpu: 0.2 });
    assert.equal(registry.nodeMetrics(name)?.cpu, 0.2);
    const first = registry.regionMetrics('svc-plus', 'jp');
    assert.ok(first !== 'stale' && Math.abs(first.cpu - 0.2) < 1e-9);
    registry.heartbeat(token, { name, cpu: 0.8 });
    assert.ok(Math.abs((registry.nodeMetrics(name)?.cpu ?? 0) - 0.4) < 1e-9);
    const second = registry.regionMetrics('svc-plus', 'jp');
    assert.ok(second !== 'stale' && Math.abs(second.cpu - 0.4) < 1e-9, `cpu ${second === 'stale' ? second : second.cpu}`);
  });

  it('gives a new average when the metrics window of the service changes', () => {
    let config: Declarations = { ...seed, gtm: {} };
    const clock = new Clock();
    const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => config, now: clock.now });
    const { name, token } = registry.register(NODE);
    registry.heartbeat(token, { name, cpu: 0.2 });
    registry.heartbeat(token, { name, cpu: 0.2 });
    clock.advance(30_000);
    assert.equal(registry.nodeMetrics(name)?.cpu, 0.2, 'within the 60 s window');
    const policy = seed.autoscale['svc-plus'];
    assert.ok(policy);
    config = { ...config, autoscale: { ...config.autoscale, 'svc-plus': { ...policy, global: { ...policy.global, cpu_window: 10_000 } } } };
    assert.equal(registry.nodeMetrics(name), null, 'older than the new 10 s window');
    assert.equal(registry.regionMetrics('svc-plus', 'jp'), 'stale');
  });

  it('finds the nodes of a pool again after a restart, without the deleted ones', async () => {
    const config: Declarations = { ...seed, gtm: {} };
    const first = make(config);
    const keep = first.registry.register(NODE);
    const gone = first.registry.register(NODE);
    for (const n of [keep, gone]) {
      first.registry.heartbeat(n.token, { name: n.name, cpu: 0.3 });
      first.registry.heartbeat(n.token, { name: n.name, cpu: 0.3 });
    }
    first.registry.delete(gone.name, 'removed by autoscale');
    await first.registry.stop();
    const again = make(config, first.store, first.clock);
    await again.registry.load();
    again.registry.heartbeat(keep.token, { name: keep.name, cpu: 0.5 });
    const m = again.registry.regionMetrics('svc-plus', 'jp');
    assert.ok(m !== 'stale');
    assert.equal(m.nodes, 1);
  });

  it('persists state changes and events, and comes back after a restart with a fresh grace period', async () => {
    const first = make(seed);
    const { name, token } = first.registry.register(NODE);
    first.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    first.registry.applyProbe(name, { ok: true, hard: false, detail: '', ms: 1 });
    first.registry.heartbeat(token, { name, cpu: 0.4 });
    await first.registry.stop();
    const stored = await first.store.getNode(name);
    assert.equal(stored?.state, 'active');
    assert.equal(stored.metrics?.cpu, 0.4);
    assert.notEqual(stored.tokenHash, token, 'the token itself is never stored');
    const events = await first.store.listNodeEvents({ node: name });
    assert.deepEqual(
      events.map((e) => `${e.from ?? '∅'}→${e.to}`),
      ['warm→active', '∅→warm'],
    );

    // Restart much later: the node keeps its state and its token, and gets a grace period.
    const clock = new Clock(first.clock.t + 3_600_000);
    const second = make(seed, first.store, clock);
    await second.registry.load();
    assert.equal(second.registry.get(name)?.state, 'active');
    second.registry.sweep();
    assert.equal(second.registry.get(name)?.state, 'active');
    assert.equal(second.registry.heartbeat(token, { name, cpu: 0.1 }), 'active');
    clock.advance(16_000);
    second.registry.sweep();
    assert.equal(second.registry.get(name)?.state, 'down');
  });

  it('marks a loaded state as the last term’s word until it hears of the node: a heartbeat, a probe or the grace period’s end', async () => {
    const first = make(seed);
    const a = first.registry.register(NODE);
    const b = first.registry.register({ ...NODE, address: '127.0.0.3:8080' });
    const c = first.registry.register({ ...NODE, address: '127.0.0.4:8080' });
    for (const n of [a, b, c]) for (let i = 0; i < 2; i += 1) first.registry.applyProbe(n.name, { ok: true, hard: false, detail: '', ms: 1 });
    first.registry.applyProbe(c.name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    assert.equal(first.registry.observation(a.name, first.clock.t, 0)?.loaded, false, 'a node registered in this term is heard of');
    await first.registry.stop();

    // A new term on the same store (a restart, a new leader, a restored backup).
    const clock = new Clock(first.clock.t + 60_000);
    const second = make(seed, first.store, clock);
    await second.registry.load();
    const loaded = (name: string): boolean | undefined => second.registry.observation(name, clock.t, clock.t)?.loaded;
    assert.deepEqual([loaded(a.name), loaded(b.name), loaded(c.name)], [true, true, true]);
    assert.equal(second.registry.get(c.name)?.state, 'down', 'the stored state is kept');

    second.registry.heartbeat(a.token, { name: a.name, cpu: 0.2 });
    assert.equal(loaded(a.name), false, 'a heartbeat is news of the node');
    second.registry.applyProbe(b.name, { ok: true, hard: false, detail: '', ms: 1 });
    assert.equal(loaded(b.name), false, 'so is a probe');

    // The down node stays silent: within the grace period it is still only the store's word.
    clock.advance(10_000);
    second.registry.sweep();
    assert.equal(loaded(c.name), true);
    clock.advance(6_000);
    second.registry.sweep();
    assert.equal(loaded(c.name), false, 'silence for fall × interval in this term is evidence');
    assert.equal(second.registry.get(c.name)?.state, 'down');
  });

  it('keeps unflushed changes when the store fails, and writes them on the next flush', async () => {
    const store = new MemoryStore();
    const { registry } = make(seed, store);
    const { name } = registry.register(NODE);
    const original = store.upsertNodes.bind(store);
    store.upsertNodes = async () => {
      throw new Error('disk full');
    };
    await registry.flush();
    assert.equal(await store.getNode(name), undefined);
    store.upsertNodes = original;
    await registry.flush();
    assert.equal((await store.getNode(name))?.state, 'warm');
    assert.equal((await store.listNodeEvents({ node: name })).length, 1);
  });

  it('lists probe targets for live nodes of probed services only', () => {
    const { registry } = make(seed);
    const a = registry.register(NODE);
    const b = registry.register({ ...NODE, address: '127.0.0.3' });
    registry.drain(b.name);
    const targets = registry.probeTargets();
    assert.deepEqual(
      targets.map((t) => [t.name, t.host, t.health.port]),
      [[a.name, '127.0.0.2', 8080]],
    );
  });

  it('writes nothing while it may not persist (a replica that lost the lead), and keeps the changes for later', async () => {
    const store = new MemoryStore();
    let leads = false;
    const registry = new NodeRegistry({ store, log: silentLogger(), config: () => seed, mayPersist: () => leads });
    const { name } = registry.register(NODE);
    await registry.flush('all');
    assert.deepEqual(await store.listNodes(), []);
    leads = true;
    await registry.flush('all');
    assert.deepEqual(
      (await store.listNodes()).map((n) => n.name),
      [name],
    );
  });

  it('writes under the lease fence: a leader paused past its lease writes nothing over the next leader', async () => {
    const store = new MemoryStore();
    const lease = await store.acquireLease('controller', 'a', 'http://a.invalid', 60_000);
    const registry = new NodeRegistry({
      store,
      log: silentLogger(),
      config: () => seed,
      fence: () => ({ lease: 'controller', holder: 'a', token: lease.token }),
    });
    const { name } = registry.register(NODE);
    await registry.persistState();
    assert.deepEqual(
      (await store.listNodes()).map((n) => n.name),
      [name],
    );
    // Another replica takes the lease (a released here stands for a lapse) and writes its view.
    await store.releaseLease('controller', 'a', lease.token);
    await store.acquireLease('controller', 'b', 'http://b.invalid', 60_000);
    await store.upsertNodes([{ ...(await store.getNode(name))!, state: 'down' }]);
    registry.register(NODE);
    await assert.rejects(registry.persistState(), /XP_ERR_STORE_FENCED|no longer holds lease controller/);
    assert.deepEqual(
      (await store.listNodes()).map((n) => `${n.name} ${n.state}`),
      [`${name} down`],
      'the refused write left the next leader’s rows as they were',
    );
  });

  it('forgets every node on reset without writing, and loads them back from the store', async () => {
    const store = new MemoryStore();
    const registry = new NodeRegistry({ store, log: silentLogger(), config: () => seed });
    const a = registry.register(NODE);
    await registry.persistState();
    const b = registry.register(NODE);
    await registry.reset();
    assert.equal(registry.get(a.name), undefined);
    assert.equal(registry.isNodeToken(a.token), false);
    assert.deepEqual(
      (await store.listNodes()).map((n) => n.name),
      [a.name],
      'reset wrote nothing: the store is the next leader’s',
    );
    await registry.load();
    assert.equal(registry.get(a.name)?.state, 'warm');
    assert.equal(registry.isNodeToken(a.token), true);
    assert.equal(registry.get(b.name), undefined);
    assert.equal(registry.register(NODE).name, 'jp-svc-plus-2', 'names go on from what the store knows');
  });
});
