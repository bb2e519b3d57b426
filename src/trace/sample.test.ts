import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleRows } from './sample.js';
import { pass } from './test-fixtures.js';

describe('sampleRows', () => {
  it('gives each declared region what the pass saw: CPU summed over the reporting nodes, names counted by state', async () => {
    assert.deepEqual(sampleRows(await pass(1_000)), [
      {
        at: 1_000,
        service: 'svc-plus',
        region: 'jp',
        cpuDemand: 0.9,
        active: 1,
        warm: 1,
        drain: 0,
        down: 1,
        unknown: 1,
        weight: 50,
        qps: 120,
        errorRate: 0.01,
        rttMs: 80,
      },
      {
        at: 1_000,
        service: 'svc-plus',
        region: 'sg',
        cpuDemand: null,
        active: 0,
        warm: 0,
        drain: 1,
        down: 0,
        unknown: 0,
        weight: 10,
        qps: null,
        errorRate: null,
        rttMs: null,
      },
    ]);
  });

  it('gives a region without a pool no weight and no nodes', async () => {
    const p = await pass(1_000);
    const rows = sampleRows({ ...p, pools: {} });
    assert.deepEqual(
      rows.map((r) => [r.region, r.weight, r.active + r.warm + r.drain + r.down + r.unknown]),
      [
        ['jp', null, 0],
        ['sg', null, 0],
      ],
    );
  });
});
