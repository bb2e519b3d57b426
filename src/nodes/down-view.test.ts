import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { MemoryStore, type Store } from '../store/index.js';
import { StoreDownView } from './down-view.js';
import { node } from '../testing/index.js';

describe('StoreDownView', () => {
  it('marks down exactly the nodes the store records as down, and follows changes', async () => {
    const store = new MemoryStore();
    await store.upsertNodes([node('jp-1', { state: 'active' }), node('jp-2', { state: 'down' })]);
    const view = new StoreDownView({ store, log: silentLogger() });
    assert.equal(view.isDown('jp-2'), false, 'nothing is down before the first answer');
    await view.refresh();
    assert.equal(view.isDown('jp-1'), false);
    assert.equal(view.isDown('jp-2'), true);
    assert.equal(view.isDown('unknown'), false);
    await store.upsertNodes([node('jp-1', { state: 'down' }), node('jp-2', { state: 'active' })]);
    await view.refresh();
    assert.equal(view.isDown('jp-1'), true);
    assert.equal(view.isDown('jp-2'), false);
  });

  it('keeps the last set while the store does not answer, and asks one question at a time', async () => {
    const store = new MemoryStore();
    await store.upsertNodes([node('jp-2', { state: 'down' })]);
    let calls = 0;
    let fail = false;
    let release: (() => void) | null = null;
    const flaky: Pick<Store, 'listNodes'> = {
      listNodes: async (filter) => {
        calls += 1;
        if (release === null && fail) {
          await new Promise<void>((r) => (release = r));
          throw new Error('connection refused');
        }
        return store.listNodes(filter);
      },
    };
    const view = new StoreDownView({ store: flaky, log: silentLogger() });
    await view.refresh();
    assert.equal(view.isDown('jp-2'), true);
    fail = true;
    const first = view.refresh();
    const second = view.refresh();
    assert.equal(first, second, 'a second refresh joins the poll in flight');
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2);
    (release as unknown as () => void)();
    await first;
    assert.equal(view.isDown('jp-2'), true, 'a failed poll keeps the nodes last known down');
  });

  it('polls on its own once started, and stops', async () => {
    const store = new MemoryStore();
    const view = new StoreDownView({ store, log: silentLogger(), intervalMs: 20 });
    view.start();
    await store.upsertNodes([node('jp-3', { state: 'down' })]);
    const started = Date.now();
    while (!view.isDown('jp-3')) {
      assert.ok(Date.now() - started < 2_000, 'the view never saw jp-3 down');
      await new Promise((r) => setTimeout(r, 10));
    }
    await view.stop();
    await store.upsertNodes([node('jp-3', { state: 'active' })]);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(view.isDown('jp-3'), true, 'a stopped view does not poll');
  });
});
