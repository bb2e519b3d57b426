import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeStats } from './stats.js';

describe('sanitizeStats', () => {
  it('clamps fractions to 0..1 and counts to ≥ 0', () => {
    assert.deepEqual(sanitizeStats({ cpu: 1.2, mem: -0.1, errorRate: Number.NaN, qps: -3, rttMs: Number.POSITIVE_INFINITY }), {
      cpu: 1,
      mem: 0,
      errorRate: 0,
      qps: 0,
      rttMs: 0,
    });
  });

  it('leaves out what was not measured', () => {
    assert.deepEqual(sanitizeStats({ cpu: 0.5 }), { cpu: 0.5 });
  });
});
