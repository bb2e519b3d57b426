import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPoolPatches } from './apply-patches.js';
import { readPools } from './read-pools.js';
import { SEED, STACK, STACK_POOLS } from './test-fixtures.js';

describe('readPools', () => {
  it('reads flow and block lists alike', () => {
    assert.deepEqual(readPools(STACK), STACK_POOLS);
  });

  it('reads the seed file', () => {
    assert.deepEqual(readPools(SEED), { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1'], excluded: [] } });
  });

  it('reads back exactly what applyPoolPatches wrote', () => {
    const patch = { weight: 3, nodes: ['jp-svc-api-9'], excluded: ['jp-svc-api-9'] };
    const out = applyPoolPatches(STACK, 'jp', { 'svc-api': patch, 'svc-new': patch });
    assert.deepEqual(readPools(out), { ...STACK_POOLS, 'svc-api': patch, 'svc-new': patch });
    assert.deepEqual(readPools(applyPoolPatches(undefined, 'jp', { s: patch })), { s: patch });
  });

  it('reads a missing list as empty and missing pools as none', () => {
    assert.deepEqual(readPools('config:\n  xplane:pools:\n    s:\n      weight: 1\n'), { s: { weight: 1, nodes: [], excluded: [] } });
    assert.deepEqual(readPools('config:\n  aws:region: x\n'), {});
    assert.deepEqual(readPools(''), {});
  });

  it('refuses a pool without a weight, at its key', () => {
    assert.throws(() => readPools('config:\n  xplane:pools:\n    s:\n      nodes: []\n'), {
      message: '3:5: config.xplane:pools.s has no weight',
    });
  });

  it('refuses a weight that is not a number, at its value', () => {
    assert.throws(() => readPools('config:\n  xplane:pools:\n    s:\n      weight: high\n'), {
      message: '4:15: config.xplane:pools.s.weight is not a number (got string "high")',
    });
  });
});
