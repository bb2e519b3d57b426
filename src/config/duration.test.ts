import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['500ms', 500],
    ['5s', 5_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['0s', 0],
    ['1.5s', 1_500],
    ['0.5m', 30_000],
    ['1.1h', 3_960_000],
    ['120s', 120_000],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['5', 'a missing unit'],
    ['-5s', 'a negative value'],
    ['5d', 'an unknown unit'],
    ['5S', 'an upper-case unit'],
    ['5 s', 'a space before the unit'],
    [' 5s', 'surrounding space'],
    ['.5s', 'a missing leading digit'],
    ['1m30s', 'two units'],
    ['1.5ms', 'a fraction of a millisecond'],
    ['ms', 'a missing amount'],
  ];
  for (const [text, why] of invalid) {
    it(`rejects ${JSON.stringify(text)} (${why})`, () => assert.equal(parseDuration(text), undefined));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [500, '500ms'],
    [1_500, '1500ms'],
    [5_000, '5s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [7_200_000, '2h'],
  ];
  for (const [ms, text] of cases) {
    it(`writes ${ms} ms as ${text}`, () => assert.equal(formatDuration(ms), text));
  }

  it('round-trips through parseDuration', () => {
    for (const [ms] of cases) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});
