import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthCheck } from '../../src/config/index.js';
import { alidnsMonitor, alidnsTtl, planAlidnsGtm, regionAddresses, type AlidnsRegionRef } from './alidns-plan.js';

const ref = (region: string, weight: number, ips: string[]): AlidnsRegionRef => ({
  region,
  weight,
  addresses: ips.map((ip, i) => ({ name: `${region}-svc-${i + 1}`, ip })),
});

describe('planAlidnsGtm', () => {
  it('weighs pools relative to the heaviest region, 1..100', () => {
    const plan = planAlidnsGtm([ref('hz', 200, ['10.0.0.1']), ref('sg', 50, ['10.0.0.2']), ref('jp', 1, ['10.0.0.3'])]);
    assert.deepEqual(plan?.defaultPools, [
      { region: 'hz', lbaWeight: 100 },
      { region: 'sg', lbaWeight: 25 },
      { region: 'jp', lbaWeight: 1 },
    ]);
    assert.deepEqual(plan.failoverPools, []);
  });

  it('puts weight-0 regions in the failover group', () => {
    const plan = planAlidnsGtm([ref('hz', 100, ['10.0.0.1']), ref('jp', 0, ['10.0.0.3'])]);
    assert.deepEqual(plan?.defaultPools, [{ region: 'hz', lbaWeight: 100 }]);
    assert.deepEqual(plan.failoverPools, [{ region: 'jp', lbaWeight: 1 }]);
  });

  it('serves every region alike when all are at weight 0', () => {
    const plan = planAlidnsGtm([ref('hz', 0, ['10.0.0.1']), ref('jp', 0, ['10.0.0.3'])]);
    assert.deepEqual(
      plan?.defaultPools.map((p) => p.lbaWeight),
      [1, 1],
    );
    assert.deepEqual(plan.failoverPools, []);
  });

  it('leaves out a region without an address, and plans nothing when none has one', () => {
    assert.deepEqual(
      planAlidnsGtm([ref('hz', 100, ['10.0.0.1']), ref('sg', 100, [])])?.pools.map((p) => p.region),
      ['hz'],
    );
    assert.equal(planAlidnsGtm([ref('hz', 100, [])]), undefined);
  });
});

describe('regionAddresses', () => {
  it('keeps nodes with an address that are not excluded', () => {
    assert.deepEqual(
      regionAddresses({
        nodes: [{ name: 'a-1', ip: '10.0.0.1' }, { name: 'a-2', ip: '10.0.0.2' }, { name: 'a-3' }],
        excluded: ['a-2'],
      }),
      [{ name: 'a-1', ip: '10.0.0.1' }],
    );
  });
});

describe('alidnsMonitor', () => {
  const health: HealthCheck = { type: 'http', path: '/healthz', port: 8080, interval: 5000, timeout: 2500, rise: 2, fall: 5 };
  it('maps fall to 1..3 evaluations and the timeout to the next one GTM accepts', () => {
    const m = alidnsMonitor(health, 'api.example.net');
    assert.equal(m.protocolType, 'HTTP');
    assert.equal(m.interval, 60);
    assert.equal(m.timeout, 3000);
    assert.equal(m.evaluationCount, 3);
    assert.deepEqual(JSON.parse(m.monitorExtendInfo), {
      host: 'api.example.net',
      path: '/healthz',
      port: 8080,
      code: 400,
      failureRate: 50,
      sni: false,
      nodeType: 'IPV4',
    });
  });
  it('probes a tcp health block by port', () => {
    const m = alidnsMonitor({ ...health, type: 'tcp', timeout: 30_000, fall: 1 }, 'api.example.net');
    assert.equal(m.protocolType, 'TCP');
    assert.equal(m.timeout, 10_000);
    assert.equal(m.evaluationCount, 1);
    assert.deepEqual(JSON.parse(m.monitorExtendInfo), { port: 8080, failureRate: 50 });
  });
});

describe('alidnsTtl', () => {
  it('takes the smallest TTL GTM accepts at or above the gtm ttl', () => {
    assert.deepEqual([alidnsTtl(1), alidnsTtl(60), alidnsTtl(61), alidnsTtl(3600)], [60, 60, 120, 600]);
  });
});
