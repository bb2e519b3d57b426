import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runStoreContract } from './contract-suite.js';
import { MemoryStore } from './memory.js';
import type { NodeRecord } from './types.js';

runStoreContract('MemoryStore', async () => new MemoryStore());

const node: NodeRecord = {
  name: 'jp-1',
  service: 'svc-plus',
  region: 'jp',
  address: '10.0.0.1',
  labels: {},
  state: 'warm',
  stateSince: 1,
  tokenHash: 'h',
  registeredAt: 1,
  lastHeartbeat: null,
  metrics: null,
};

describe('MemoryStore calls', () => {
  it('records each call with its method and arguments, in order', async () => {
    const store = new MemoryStore();
    await store.upsertNodes([node]);
    await store.listNodes({ region: 'jp' });
    await store.listHolds(5);
    assert.deepEqual(store.calls, [
      { method: 'upsertNodes', args: [[node]] },
      { method: 'listNodes', args: [{ region: 'jp' }] },
      { method: 'listHolds', args: [5] },
    ]);
  });

  it('keeps recorded arguments as they were when the call was made', async () => {
    const store = new MemoryStore();
    const passed = { ...node, labels: { zone: 'a' } };
    await store.upsertNodes([passed]);
    passed.labels.zone = 'b';
    const call = store.calls[0];
    assert.equal(call?.method, 'upsertNodes');
    assert.deepEqual(call.args[0][0]?.labels, { zone: 'a' });
  });

  it('records a call that fails', async () => {
    const store = new MemoryStore();
    await assert.rejects(store.recentSyncs(-1));
    assert.deepEqual(store.calls, [{ method: 'recentSyncs', args: [-1] }]);
  });
});

describe('MemoryStore lease clock', () => {
  it('lets a lease lapse exactly at expiresAt by the clock it was given', async () => {
    let now = 1_000;
    const store = new MemoryStore(() => now);
    const lease = await store.acquireLease('controller', 'a', 'http://a:7070', 500);
    assert.equal(lease.expiresAt, 1_500);
    now = 1_499;
    assert.equal((await store.acquireLease('controller', 'b', 'http://b:7070', 500)).holder, 'a');
    now = 1_500;
    assert.equal(await store.renewLease('controller', 'a', lease.token, 500), false);
    assert.deepEqual(await store.acquireLease('controller', 'b', 'http://b:7070', 500), {
      name: 'controller',
      holder: 'b',
      address: 'http://b:7070',
      token: 2,
      expiresAt: 2_000,
    });
  });
});
