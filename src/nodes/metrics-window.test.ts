import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateRegion, MetricsWindow, type Sample, type WindowAverage } from './metrics-window.js';

const s = (cpu: number, extra: Partial<Sample> = {}): Sample => ({ cpu, qps: null, errorRate: null, rttMs: null, ...extra });
const close = (a: number | null | undefined, b: number) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

describe('MetricsWindow', () => {
  it('averages every metric over the fresh samples', () => {
    const w = new MetricsWindow(60_000);
    w.add(1_000, s(0.2, { qps: 100, errorRate: 0.01, rttMs: 20 }));
    w.add(6_000, s(0.4, { qps: 300, errorRate: 0.03, rttMs: 40 }));
    const a = w.average(10_000);
    assert.ok(a);
    close(a.cpu, 0.3);
    close(a.qps, 200);
    close(a.errorRate, 0.02);
    close(a.rttMs, 30);
    assert.equal(a.samples, 2);
    assert.equal(a.newest, 6_000);
  });

  it('does not count a null metric as 0', () => {
    const w = new MetricsWindow(60_000);
    w.add(1_000, s(0.5, { qps: 100, rttMs: 10 }));
    w.add(2_000, s(0.5));
    const a = w.average(3_000);
    assert.equal(a?.qps, 100);
    assert.equal(a.rttMs, 10);
    assert.equal(a.errorRate, null);
  });

  it('is null, not zero, before any sample', () => {
    assert.equal(new MetricsWindow(60_000).average(0), null);
  });

  it('goes stale once the newest sample is a window old', () => {
    const w = new MetricsWindow(60_000);
    w.add(100_000, s(0.9));
    assert.ok(w.average(159_999));
    assert.equal(w.average(160_000), null);
    assert.equal(w.average(10_000_000), null);
  });

  it('forgets samples older than the window while keeping fresh ones', () => {
    const w = new MetricsWindow(60_000, 12);
    w.add(0, s(1.0));
    w.add(50_000, s(0.2));
    close(w.average(55_000)?.cpu, 0.6);
    // The old sample's bucket expires; only the fresh one is left.
    close(w.average(70_000)?.cpu, 0.2);
    assert.equal(w.average(70_000)?.samples, 1);
  });

  it('reuses buckets: memory stays constant and old slices do not leak into new ones', () => {
    const w = new MetricsWindow(1_000, 4);
    // 10 000 samples over 100 windows, cpu equal to the window number.
    for (let t = 0; t < 100_000; t += 10) w.add(t, s(Math.floor(t / 1_000)));
    const a = w.average(99_999);
    assert.ok(a);
    assert.equal(a.cpu, 99);
    assert.ok(a.samples <= 100, `only the last window's samples count, got ${a.samples}`);
    assert.equal(w.capacity, 5);
  });

  it('accepts out-of-order timestamps within the window', () => {
    const w = new MetricsWindow(60_000, 12);
    w.add(12_000, s(0.4));
    w.add(11_000, s(0.2)); // same bucket, earlier
    w.add(3_000, s(0.6)); // earlier bucket
    const a = w.average(13_000);
    close(a?.cpu, 0.4);
    assert.equal(a?.samples, 3);
    assert.equal(a.newest, 12_000);
  });

  it('drops a sample older than what its bucket slot now holds', () => {
    const w = new MetricsWindow(1_200, 12); // 100 ms buckets, 13 slots
    w.add(1_300, s(0.5)); // slot 0 holds slice 13
    w.add(0, s(1.0)); // slice 0 maps to slot 0 too, but is long gone
    const a = w.average(1_300);
    assert.equal(a?.samples, 1);
    close(a.cpu, 0.5);
  });

  it('ignores non-finite values', () => {
    const w = new MetricsWindow(60_000);
    w.add(1_000, s(Number.NaN));
    w.add(1_000, s(0.5, { qps: Number.POSITIVE_INFINITY }));
    const a = w.average(2_000);
    assert.equal(a?.samples, 1);
    assert.equal(a.qps, null);
  });

  it('keeps history across a resize and applies the new window length', () => {
    const w = new MetricsWindow(60_000);
    w.add(10_000, s(0.2));
    w.add(50_000, s(0.4));
    w.resize(30_000);
    const a = w.average(55_000);
    assert.equal(a?.samples, 1, 'the sample 45 s old is outside the new 30 s window');
    close(a.cpu, 0.4);
    w.resize(120_000);
    assert.equal(w.average(100_000)?.samples, 2, 'growing the window brings back what is still within it');
    assert.equal(w.average(140_000)?.samples, 1);
    assert.equal(w.average(170_000), null);
  });

  it('computes an instant’s averages once, and again after a sample or a resize', () => {
    const w = new MetricsWindow(60_000);
    w.add(1_000, s(0.2, { rttMs: 10 }));
    const first = w.averageCell(51_000);
    assert.equal(first.cpu, 0.2);
    assert.equal(w.averageCell(51_000), first, 'the same cell, not a new object');
    w.add(50_000, s(0.4));
    close(w.averageCell(51_000).cpu, 0.3);
    assert.equal(w.averageCell(51_000).rttMs, 10);
    assert.equal(w.averageCell(51_000).hasQps, false);
    w.resize(10_000);
    assert.equal(w.averageCell(51_000).samples, 1, 'only the sample within the new 10 s window');
    assert.equal(w.averageCell(51_000).hasRttMs, false);
    assert.equal(w.averageCell(100_000).samples, 0, 'stale');
    assert.equal(w.average(100_000), null);
  });

  it('resizing to the same length changes nothing', () => {
    const w = new MetricsWindow(60_000);
    w.add(1_000, s(0.3));
    w.resize(60_000);
    close(w.average(2_000)?.cpu, 0.3);
  });
});

const node = (cpu: number, extra: Partial<WindowAverage> = {}): WindowAverage => ({
  cpu,
  qps: null,
  errorRate: null,
  rttMs: null,
  samples: 1,
  newest: 0,
  ...extra,
});

describe('aggregateRegion', () => {
  it('is stale without nodes', () => {
    assert.equal(aggregateRegion([]), 'stale');
  });

  it('averages cpu, sums qps and weights the error rate by qps', () => {
    const r = aggregateRegion([node(0.2, { qps: 900, errorRate: 0.0, rttMs: 10 }), node(0.6, { qps: 100, errorRate: 0.1, rttMs: 30 })]);
    assert.ok(r !== 'stale');
    assert.equal(r.nodes, 2);
    close(r.cpu, 0.4);
    assert.equal(r.qps, 1000);
    close(r.errorRate, 0.01);
    close(r.rttMs, 20);
  });

  it('uses a plain mean of the error rate when some qps is unknown', () => {
    const r = aggregateRegion([node(0.5, { qps: 900, errorRate: 0.0 }), node(0.5, { errorRate: 0.1 })]);
    assert.ok(r !== 'stale');
    close(r.errorRate, 0.05);
    assert.equal(r.qps, 900);
  });

  it('uses a plain mean of the error rate when there is no traffic', () => {
    const r = aggregateRegion([node(0.5, { qps: 0, errorRate: 0.2 }), node(0.5, { qps: 0, errorRate: 0.0 })]);
    assert.ok(r !== 'stale');
    close(r.errorRate, 0.1);
  });

  it('leaves rtt and error rate null when no node reports them, and counts rtt only where reported', () => {
    const none = aggregateRegion([node(0.1), node(0.3)]);
    assert.deepEqual(none, { nodes: 2, cpu: 0.2, qps: 0, errorRate: null, rttMs: null });
    const some = aggregateRegion([node(0.1, { rttMs: 50 }), node(0.3)]);
    assert.ok(some !== 'stale');
    assert.equal(some.rttMs, 50);
  });
});
