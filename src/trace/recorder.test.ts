import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { MemoryStore } from '../store/index.js';
import { MetricsRecorder } from './recorder.js';
import { pass } from './test-fixtures.js';

describe('MetricsRecorder', () => {
  it('records the first pass of each step and skips the passes in between', async () => {
    const store = new MemoryStore();
    const recorder = new MetricsRecorder({ store, log: silentLogger(), stepMs: 10_000, retentionMs: 60_000, maxRows: 100 });
    for (const now of [0, 4_000, 10_000, 19_999, 20_500]) recorder.observe(await pass(now));
    await recorder.flush();
    assert.deepEqual([...new Set((await store.listHistory()).map((r) => r.at))], [0, 10_000, 20_500]);
  });

  it('prunes to the retention and the row bound at most once per prune interval', async () => {
    const store = new MemoryStore();
    const recorder = new MetricsRecorder({ store, log: silentLogger(), stepMs: 1_000, retentionMs: 5_000, maxRows: 8, pruneEveryMs: 3_000 });
    for (let now = 0; now <= 12_000; now += 1_000) recorder.observe(await pass(now));
    await recorder.flush();
    const prunes = store.calls.filter((c) => c.method === 'pruneHistory').map((c) => c.args[0]);
    assert.deepEqual(prunes, [
      { before: -5_000, maxRows: 8 },
      { before: -2_000, maxRows: 8 },
      { before: 1_000, maxRows: 8 },
      { before: 4_000, maxRows: 8 },
      { before: 7_000, maxRows: 8 },
    ]);
    // Two rows a pass (jp, sg): the bound keeps the newest 8 after the last prune, then one more pass.
    assert.deepEqual([...new Set((await store.listHistory()).map((r) => r.at))], [9_000, 10_000, 11_000, 12_000]);
  });

  it('never throws into the pass when the store fails, and logs it', async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger(), warn: (_o: unknown, m: string) => warnings.push(m) } as unknown as ReturnType<typeof silentLogger>;
    const store = { appendHistory: () => Promise.reject(new Error('disk full')), pruneHistory: () => Promise.resolve(0) };
    const recorder = new MetricsRecorder({ store, log, stepMs: 1_000, retentionMs: 5_000, maxRows: 8 });
    recorder.observe(await pass(0));
    await recorder.flush();
    assert.deepEqual(warnings, ['metrics history: could not write metrics history (disk full)']);
  });
});
