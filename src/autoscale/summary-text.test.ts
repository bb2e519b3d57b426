import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuText, plural, spanText } from './summary-text.js';

const spans: [number, 'down' | 'up', string][] = [
  [0, 'down', '0s'],
  [450, 'down', '450ms'],
  [60_000, 'down', '60s'],
  [119_999, 'down', '119s'],
  [299_000, 'down', '4m59s'],
  [300_000, 'down', '5m'],
  [367_000, 'down', '6m7s'],
  [20 * 60_000 + 5_000, 'down', '20m'],
  [3 * 3_600_000 + 1, 'down', '3h'],
  [59_001, 'up', '60s'],
];

for (const [ms, round, want] of spans) {
  test(`shows ${ms} ms rounded ${round} as ${want}`, () => assert.equal(spanText(ms, round), want));
}

test('shows cpu with two decimals', () => {
  assert.equal(cpuText(0.9), '0.90');
  assert.equal(cpuText(0.123), '0.12');
});

test('pluralizes new nodes', () => {
  assert.equal(plural(1, 'new node'), '1 new node');
  assert.equal(plural(2, 'new node'), '2 new nodes');
});
