import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { LoopSlot, PassLoop, done, type PassResult } from './pass-loop.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PassLoop', () => {
  it('runs a pass at start, then one per interval, one at a time', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const loop = new PassLoop({
      name: 't',
      intervalMs: 30,
      log: silentLogger(),
      pass: async () => {
        running += 1;
        most = Math.max(most, running);
        passes += 1;
        await wait(5);
        running -= 1;
        return done;
      },
    });
    loop.start();
    loop.trigger();
    loop.trigger();
    await wait(100);
    await loop.stop();
    assert.ok(passes >= 3 && passes <= 6, `passes ${passes}`);
    assert.equal(most, 1);
  });

  it('runs a pass soon after a trigger instead of waiting the interval', async () => {
    let passes = 0;
    const loop = new PassLoop({ name: 't', intervalMs: 60_000, log: silentLogger(), pass: async () => ((passes += 1), done) });
    loop.start();
    await wait(20);
    assert.equal(passes, 1);
    loop.trigger();
    await wait(20);
    assert.equal(passes, 2);
    await loop.stop();
  });

  it('backs off exponentially after failures and resets after a success', async () => {
    const results: PassResult[] = [{ kind: 'error', error: new Error('a') }, { kind: 'error', error: new Error('b') }, done];
    const starts: number[] = [];
    const loop = new PassLoop({
      name: 't',
      intervalMs: 20,
      log: silentLogger(),
      random: () => 0.5,
      pass: async () => {
        starts.push(Date.now());
        return results.shift() ?? done;
      },
    });
    loop.start();
    await wait(150);
    await loop.stop();
    assert.ok(loop.consecutiveFailures === 0);
    const gaps = starts.slice(1, 3).map((t, i) => t - (starts[i] ?? t));
    // random 0.5 → jitter ×1.0: 20 ms after the first failure, 40 ms after the second.
    assert.ok((gaps[0] ?? 0) >= 18 && (gaps[1] ?? 0) >= 38, `gaps ${gaps.join(', ')}`);
  });
});

describe('LoopSlot', () => {
  it('makes its loop on the first start only, and stops it', async () => {
    let passes = 0;
    const slot = new LoopSlot({ name: 't', log: silentLogger(), pass: async () => ((passes += 1), done) });
    slot.trigger();
    assert.equal(passes, 0, 'a trigger before start does nothing');
    slot.start(60_000);
    slot.start(60_000);
    await wait(20);
    assert.equal(passes, 1);
    await slot.stop();
    slot.trigger();
    await wait(20);
    assert.equal(passes, 1);
  });
});
