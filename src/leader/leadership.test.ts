import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { MemoryStore, type Store } from '../store/index.js';
import { CONTROLLER_LEASE, Leadership } from './leadership.js';

const log = silentLogger();
const TTL = 300;

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

/** A replica's election with a record of its terms. */
function replica(store: Pick<Store, 'acquireLease' | 'renewLease' | 'releaseLease'>, id: string): { election: Leadership; terms: string[] } {
  const terms: string[] = [];
  const election = new Leadership({
    store,
    log,
    id,
    address: `http://${id}.invalid:7070`,
    ttlMs: TTL,
    onElected: (token) => void terms.push(`elected ${token}`),
    onDeposed: (reason) => void terms.push(`deposed: ${reason}`),
  });
  return { election, terms };
}

/** A store the test can cut off from one replica, as a network partition would. */
function partitionable(store: Store): { store: Store; cut: boolean; hang: boolean } {
  const state = { cut: false, hang: false, store };
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    state.hang ? new Promise<T>(() => undefined) : state.cut ? Promise.reject(new Error('connection refused')) : fn();
  state.store = {
    ...store,
    acquireLease: (...a) => guard(() => store.acquireLease(...a)),
    renewLease: (...a) => guard(() => store.renewLease(...a)),
    releaseLease: (...a) => guard(() => store.releaseLease(...a)),
  };
  return state;
}

describe('Leadership', () => {
  const running: Leadership[] = [];
  afterEach(async () => {
    for (const e of running.splice(0)) await e.stop();
  });

  it('elects exactly one of two replicas, and the other sees it as leader', async () => {
    const store = new MemoryStore();
    const a = replica(store, 'a');
    const b = replica(store, 'b');
    running.push(a.election, b.election);
    await a.election.start();
    await b.election.start();
    assert.equal(a.election.isLeader, true);
    assert.equal(b.election.isLeader, false);
    assert.deepEqual(a.terms, ['elected 1']);
    const view = b.election.view();
    assert.equal(view.role, 'follower');
    assert.equal(view.leader.address, 'http://a.invalid:7070');
    // Renewals keep the same term.
    await new Promise((r) => setTimeout(r, TTL * 2));
    assert.equal(a.election.isLeader, true);
    assert.equal(b.election.isLeader, false);
    assert.equal((await store.currentLease(CONTROLLER_LEASE))?.token, 1);
  });

  it('hands over at once on a clean stop, with the next fencing token', async () => {
    const store = new MemoryStore();
    const a = replica(store, 'a');
    const b = replica(store, 'b');
    running.push(b.election);
    await a.election.start();
    await b.election.start();
    await a.election.stop();
    assert.deepEqual(a.terms, ['elected 1', 'deposed: shutting down']);
    await until('b to lead', () => b.election.isLeader, TTL);
    assert.equal(b.election.fencingToken, 2);
  });

  /**
   * a leads on a store that `fault` then cuts off from it (b still reaches it); answers when a
   * stepped down and when b took over, on one monotonic clock.
   */
  async function partitionRace(fault: 'cut' | 'hang'): Promise<{ a: ReturnType<typeof replica>; aDownAt: number; bUpAt: number }> {
    const shared = new MemoryStore();
    const cutOff = partitionable(shared);
    const a = replica(cutOff.store, 'a');
    const b = replica(shared, 'b');
    // A hung renewal never settles, so a's stop() would wait forever: only b is stopped after the test.
    running.push(...(fault === 'cut' ? [a.election, b.election] : [b.election]));
    await a.election.start();
    await b.election.start();
    let aDownAt = 0;
    let bUpAt = 0;
    a.election.onChange((leader) => {
      if (!leader) aDownAt = performance.now();
    });
    b.election.onChange((leader) => {
      if (leader) bUpAt = performance.now();
    });
    cutOff[fault] = true;
    await until('b to lead', () => b.election.isLeader);
    assert.equal(a.election.isLeader, false);
    return { a, aDownAt, bUpAt };
  }

  it('a partitioned leader steps down by its own deadline, before the other can take over', async () => {
    const { a, aDownAt, bUpAt } = await partitionRace('cut');
    assert.ok(aDownAt > 0 && aDownAt <= bUpAt, `a stepped down at ${aDownAt}, b took over at ${bUpAt}`);
    assert.match(a.terms.at(-1) ?? '', /^deposed: lease not renewed before it lapsed/);
  });

  it('a leader whose renewal hangs steps down by a timer at its deadline, before the other can take over', async () => {
    const { a, aDownAt, bUpAt } = await partitionRace('hang');
    assert.ok(aDownAt > 0 && aDownAt < bUpAt, `a stepped down at ${aDownAt}, b took over at ${bUpAt}`);
    assert.deepEqual(a.terms, ['elected 1', 'deposed: lease not renewed before it lapsed (the store has not answered the last renewal)']);
  });

  it('fence() throws once another replica holds the lease', async () => {
    const store = new MemoryStore();
    const a = replica(store, 'a');
    running.push(a.election);
    await a.election.start();
    await a.election.fence();
    // Another replica takes the lease the moment it lapses in the store, while a was not looking.
    const token = a.election.fencingToken ?? 0;
    await store.releaseLease(CONTROLLER_LEASE, 'a', token);
    await store.acquireLease(CONTROLLER_LEASE, 'z', 'http://z.invalid', 60_000);
    await assert.rejects(a.election.fence(), /not the leader/);
    assert.equal(a.election.isLeader, false);
  });

  it('takes over within two lease periods after the leader vanishes without a word', async () => {
    const shared = new MemoryStore();
    const cutOff = partitionable(shared);
    const a = replica(cutOff.store, 'a');
    const b = replica(shared, 'b');
    running.push(a.election, b.election);
    await a.election.start();
    await b.election.start();
    await new Promise((r) => setTimeout(r, TTL / 2));
    cutOff.cut = true;
    const took = await until('b to lead', () => b.election.isLeader);
    assert.ok(took <= 2 * TTL, `took ${took} ms`);
  });

  it('a poke makes a follower ask again at once: it sees the new leader without waiting for its next tick', async () => {
    const store = new MemoryStore();
    const a = replica(store, 'a');
    const slow = new Leadership({
      store,
      log,
      id: 'b',
      address: 'http://b.invalid:7070',
      ttlMs: 60_000,
      onElected: () => undefined,
      onDeposed: () => undefined,
    });
    running.push(a.election, slow);
    await a.election.start();
    await slow.start();
    await a.election.stop();
    await store.acquireLease(CONTROLLER_LEASE, 'c', 'http://c.invalid:7070', 60_000);
    const before = slow.view();
    assert.equal(before.role === 'follower' ? before.leader.holder : '', 'a', 'still the old view before the poke');
    await new Promise((r) => setTimeout(r, 150)); // pokes right after a tick are folded into it
    slow.poke();
    await until(
      'b to see c',
      () => {
        const view = slow.view();
        return view.role === 'follower' && view.leader.holder === 'c';
      },
      1_000,
    );
  });
});
