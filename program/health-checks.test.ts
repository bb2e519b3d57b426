import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthCheck } from '../src/config/index.js';
import { cloudflareMonitor, route53HealthCheck, route53RequestInterval } from './health-checks.js';

const http: HealthCheck = { type: 'http', path: '/healthz', port: 8080, interval: 5000, timeout: 2000, rise: 2, fall: 3 };
const tcp: HealthCheck = { ...http, type: 'tcp' };

describe('route53RequestInterval', () => {
  const cases: [ms: number, expected: 10 | 30][] = [
    [1000, 10],
    [5000, 10],
    [10_000, 10],
    [19_000, 10],
    [20_000, 30], // a tie goes to the standard (cheaper) interval
    [25_000, 30],
    [30_000, 30],
    [120_000, 30],
  ];
  for (const [ms, expected] of cases) {
    it(`picks ${expected} s for a ${ms / 1000} s gtm interval`, () => assert.equal(route53RequestInterval(ms), expected));
  }
});

describe('route53HealthCheck', () => {
  it('builds an HTTP check with the path, port and fall', () => {
    assert.deepEqual(route53HealthCheck(http), { type: 'HTTP', port: 8080, resourcePath: '/healthz', requestInterval: 10, failureThreshold: 3 });
  });
  it('builds a TCP check without a path', () => {
    assert.deepEqual(route53HealthCheck({ ...tcp, interval: 20_000 }), { type: 'TCP', port: 8080, requestInterval: 30, failureThreshold: 3 });
  });
  it('clamps the failure threshold to 1..10', () => {
    assert.equal(route53HealthCheck({ ...http, fall: 0 }).failureThreshold, 1);
    assert.equal(route53HealthCheck({ ...http, fall: 25 }).failureThreshold, 10);
  });
});

describe('cloudflareMonitor', () => {
  it('builds an HTTP monitor expecting 2xx, at the 60 s minimum interval, with retries = fall - 1', () => {
    assert.deepEqual(cloudflareMonitor(http), {
      type: 'http',
      port: 8080,
      method: 'GET',
      path: '/healthz',
      expectedCodes: '2xx',
      interval: 60,
      timeout: 2,
      retries: 2,
    });
  });
  it('builds a TCP monitor without path or expected codes', () => {
    assert.deepEqual(cloudflareMonitor(tcp), { type: 'tcp', port: 8080, method: 'connection_established', interval: 60, timeout: 2, retries: 2 });
  });
  it('keeps an interval above the minimum and rounds it up to seconds', () => {
    assert.equal(cloudflareMonitor({ ...http, interval: 90_500 }).interval, 91);
  });
  it('rounds the timeout up to whole seconds within 1..10', () => {
    assert.equal(cloudflareMonitor({ ...http, timeout: 500 }).timeout, 1);
    assert.equal(cloudflareMonitor({ ...http, timeout: 2500 }).timeout, 3);
    assert.equal(cloudflareMonitor({ ...http, timeout: 30_000 }).timeout, 10);
  });
  it('clamps retries to 0..5', () => {
    assert.equal(cloudflareMonitor({ ...http, fall: 1 }).retries, 0);
    assert.equal(cloudflareMonitor({ ...http, fall: 9 }).retries, 5);
  });
});
