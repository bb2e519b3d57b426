import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  const cases: { attempt: number; random: number; want: number }[] = [
    { attempt: 0, random: 0, want: 500 },
    { attempt: 0, random: 1, want: 1_000 },
    { attempt: 1, random: 0.5, want: 1_500 },
    { attempt: 4, random: 1, want: 16_000 },
    { attempt: 5, random: 1, want: 30_000 },
    { attempt: 50, random: 0, want: 15_000 },
  ];
  for (const c of cases) {
    it(`waits ${c.want} ms before retry ${c.attempt} with random ${c.random}`, () => {
      assert.equal(
        backoffDelay(c.attempt, DEFAULT_BACKOFF, () => c.random),
        c.want,
      );
    });
  }

  it('never exceeds the cap however many attempts failed', () => {
    for (let attempt = 0; attempt < 100; attempt += 1) assert.ok(backoffDelay(attempt, DEFAULT_BACKOFF) <= DEFAULT_BACKOFF.maxMs);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const cases: { header: string | null; want: number | undefined }[] = [
    { header: null, want: undefined },
    { header: '', want: undefined },
    { header: '3', want: 3_000 },
    { header: '0', want: 0 },
    { header: 'Wed, 01 Jan 2025 00:00:05 GMT', want: 5_000 },
    { header: 'Tue, 31 Dec 2024 23:59:00 GMT', want: 0 },
    { header: '999999', want: MAX_RETRY_AFTER_MS },
    { header: 'soon', want: undefined },
  ];
  for (const c of cases) it(`reads ${JSON.stringify(c.header)} as ${String(c.want)}`, () => assert.equal(parseRetryAfter(c.header, now), c.want));
});
