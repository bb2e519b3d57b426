// Persistence batching on the in-memory store: what a flush writes, in how
// many transactions, and what a refused write leaves for the next one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { MemoryStore, type NodeRecord } from '../store/index.js';
import { node } from '../testing/index.js';
import { BatchWriter } from './batch-writer.js';
import { initialLiveness } from './liveness.js';
import { MetricsWindow } from './metrics-window.js';
import { NodeTable } from './node-table.js';

function table(records: NodeRecord[]): NodeTable {
  const nodes = new NodeTable();
  for (const record of records)
    nodes.set({ record, liveness: initialLiveness(0), window: new MetricsWindow(60_000), lastSeen: 0, lastProbeOk: null, heard: true });
  return nodes;
}

const upserts = (store: MemoryStore): number[] => store.calls.flatMap((c) => (c.method === 'upsertNodes' ? [c.args[0].length] : []));

describe('BatchWriter', () => {
  it('writes at most 250 nodes per store transaction', async () => {
    const store = new MemoryStore();
    const records = Array.from({ length: 600 }, (_, i) => node(`jp-svc-plus-${i + 1}`));
    const writer = new BatchWriter({ store, log: silentLogger(), nodes: table(records) });
    for (const r of records) writer.stateChanged(r.name);
    await writer.flush('state');
    assert.deepEqual(upserts(store), [250, 250, 100]);
    assert.equal((await store.listNodes()).length, 600);
  });

  it('writes heartbeat-only changes with a full flush, not with a state flush', async () => {
    const store = new MemoryStore();
    const writer = new BatchWriter({ store, log: silentLogger(), nodes: table([node('jp-svc-plus-1')]) });
    writer.beat('jp-svc-plus-1');
    await writer.flush('state');
    assert.deepEqual(await store.listNodes(), []);
    await writer.flush('all');
    assert.deepEqual(
      (await store.listNodes()).map((n) => n.name),
      ['jp-svc-plus-1'],
    );
  });

  it('keeps a refused write’s nodes and events, ahead of newer events, and rejects persistState with the store’s error', async () => {
    const store = new MemoryStore();
    const writer = new BatchWriter({ store, log: silentLogger(), nodes: table([node('jp-svc-plus-1')]) });
    writer.stateChanged('jp-svc-plus-1');
    writer.event({ at: 1, node: 'jp-svc-plus-1', from: null, to: 'warm', cause: 'first' });
    const original = store.appendNodeEvents.bind(store);
    store.appendNodeEvents = () => Promise.reject(new Error('disk full'));
    await assert.rejects(writer.persistState(), /disk full/);
    store.appendNodeEvents = original;
    writer.event({ at: 2, node: 'jp-svc-plus-1', from: 'warm', to: 'active', cause: 'second' });
    store.calls.length = 0;
    await writer.persistState();
    const appended = store.calls.flatMap((c) => (c.method === 'appendNodeEvents' ? [c.args[0]] : []));
    assert.deepEqual(
      appended.map((events) => events.map((e) => e.cause)),
      [['first', 'second']],
    );
    assert.equal((await store.getNode('jp-svc-plus-1'))?.name, 'jp-svc-plus-1');
  });

  it('writes nothing while it may not persist, and keeps it for later', async () => {
    const store = new MemoryStore();
    let may = false;
    const writer = new BatchWriter({ store, log: silentLogger(), nodes: table([node('jp-svc-plus-1')]), mayPersist: () => may });
    writer.stateChanged('jp-svc-plus-1');
    await writer.flush();
    assert.equal(upserts(store).length, 0);
    may = true;
    await writer.flush();
    assert.deepEqual(upserts(store), [1]);
  });
});
