import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, type BackoffPolicy } from './backoff.js';

describe('backoffDelay', () => {
  const equal: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000 };
  const pass: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, jitter: { min: 0.8, max: 1.2 } };
  const writer: BackoffPolicy = { initialMs: 200, maxMs: Number.POSITIVE_INFINITY, jitter: { min: 0.5, max: 1.5 } };
  const cases: { name: string; policy: BackoffPolicy; attempt: number; random: number; want: number }[] = [
    { name: 'equal jitter, first retry, least', policy: equal, attempt: 0, random: 0, want: 500 },
    { name: 'equal jitter, first retry, most', policy: equal, attempt: 0, random: 1, want: 1_000 },
    { name: 'equal jitter, doubled', policy: equal, attempt: 1, random: 0.5, want: 1_500 },
    { name: 'equal jitter, capped step', policy: equal, attempt: 50, random: 0, want: 15_000 },
    { name: 'pass loop, first failure, no jitter', policy: pass, attempt: 0, random: 0.5, want: 10_000 },
    { name: 'pass loop, third failure, −20 %', policy: pass, attempt: 2, random: 0, want: 32_000 },
    { name: 'pass loop, +20 % never above the cap', policy: pass, attempt: 10, random: 1, want: 300_000 },
    { name: 'writer, first retry, 0.5×', policy: writer, attempt: 0, random: 0, want: 100 },
    { name: 'writer, fourth retry, 1.5×, uncapped', policy: writer, attempt: 3, random: 1, want: 2_400 },
    { name: 'a negative attempt counts as the first', policy: equal, attempt: -3, random: 1, want: 1_000 },
    { name: 'a random value outside 0..1 is clamped', policy: equal, attempt: 0, random: 7, want: 1_000 },
  ];
  for (const c of cases) {
    it(`waits ${c.want} ms: ${c.name}`, () =>
      assert.equal(
        backoffDelay(c.attempt, c.policy, () => c.random),
        c.want,
      ));
  }

  it('never exceeds the cap however many attempts failed, jitter included', () => {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      for (const policy of [equal, pass]) assert.ok(backoffDelay(attempt, policy) <= policy.maxMs);
    }
  });
});
