import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planLoadBalancer, regionServicesSchema } from './global-plan.js';

describe('planLoadBalancer', () => {
  it('steers by weight / max weight and orders pools heaviest first', () => {
    const plan = planLoadBalancer([
      { region: 'sg', poolId: 'p-sg', weight: 10, fallback: true },
      { region: 'jp', poolId: 'p-jp', weight: 100, fallback: true },
    ]);
    assert.deepEqual(plan, { defaultPools: ['p-jp', 'p-sg'], fallbackPool: 'p-jp', poolWeights: { 'p-jp': 1, 'p-sg': 0.1 } });
  });
  it('keeps a weight-0 pool in the load balancer with weight 0', () => {
    const plan = planLoadBalancer([
      { region: 'jp', poolId: 'p-jp', weight: 100, fallback: true },
      { region: 'sg', poolId: 'p-sg', weight: 0, fallback: true },
    ]);
    assert.deepEqual(plan?.defaultPools, ['p-jp', 'p-sg']);
    assert.equal(plan.poolWeights['p-sg'], 0);
  });
  it('falls back to the heaviest region marked fallback', () => {
    const plan = planLoadBalancer([
      { region: 'jp', poolId: 'p-jp', weight: 100, fallback: false },
      { region: 'sg', poolId: 'p-sg', weight: 10, fallback: true },
    ]);
    assert.equal(plan?.fallbackPool, 'p-sg');
  });
  it('falls back to the heaviest region when none is marked fallback, ties by name', () => {
    const plan = planLoadBalancer([
      { region: 'sg', poolId: 'p-sg', weight: 50, fallback: false },
      { region: 'jp', poolId: 'p-jp', weight: 50, fallback: false },
    ]);
    assert.equal(plan?.fallbackPool, 'p-jp');
    assert.deepEqual(plan.defaultPools, ['p-jp', 'p-sg']);
  });
  it('makes no load balancer without pools', () => {
    assert.equal(planLoadBalancer([]), undefined);
  });
});

describe('regionServicesSchema', () => {
  it('reads a region stack export and ignores the fields it does not need', () => {
    const parsed = regionServicesSchema.parse({ 'svc-plus': { provider: 'cloudflare', weight: 10, poolId: 'p', nodes: [], excluded: [] } });
    assert.equal(parsed['svc-plus']?.poolId, 'p');
  });
});
