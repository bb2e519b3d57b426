import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloudflarePoolWeights, route53RecordWeight } from './dns-weights.js';

describe('route53RecordWeight', () => {
  const cases: [regionWeight: number, records: number, expected: number][] = [
    [100, 1, 100],
    [100, 3, 33],
    [10, 3, 3],
    [1, 3, 1], // round(1/3) = 0 would take a live region out: at least 1
    [0, 3, 0], // out of rotation stays 0 (Route 53's last resort)
    [1000, 2, 255], // capped at Route 53's maximum
    [255, 1, 255],
    [256, 1, 255],
    [5, 2, 3], // 2.5 rounds half up
    [100, 0, 0], // no records, nothing to weigh
  ];
  for (const [weight, records, expected] of cases) {
    it(`splits region weight ${weight} over ${records} record(s) into ${expected} each`, () => {
      assert.equal(route53RecordWeight(weight, records), expected);
    });
  }
});

describe('cloudflarePoolWeights', () => {
  it('weights pools by weight / max weight', () => {
    assert.deepEqual(cloudflarePoolWeights({ jp: 100, sg: 10 }), { jp: 1, sg: 0.1 });
  });
  it('rounds to two decimals', () => {
    assert.deepEqual(cloudflarePoolWeights({ a: 300, b: 100 }), { a: 1, b: 0.33 });
  });
  it('keeps a small non-zero pool at 0.01 instead of rounding it out', () => {
    assert.deepEqual(cloudflarePoolWeights({ big: 1000, tiny: 1 }), { big: 1, tiny: 0.01 });
  });
  it('keeps a weight-0 pool at 0', () => {
    assert.deepEqual(cloudflarePoolWeights({ jp: 100, sg: 0 }), { jp: 1, sg: 0 });
  });
  it('weights every pool alike when every weight is 0 (fail open, like Route 53)', () => {
    assert.deepEqual(cloudflarePoolWeights({ jp: 0, sg: 0 }), { jp: 1, sg: 1 });
  });
  it('returns nothing for no pools', () => {
    assert.deepEqual(cloudflarePoolWeights({}), {});
  });
});
