// A stored decision as a history entry: from → to read from the reason's own numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeOf, historyEntry } from './history.js';

describe('changeOf', () => {
  const cases: [string, Record<string, number | string | boolean>, unknown, unknown][] = [
    ['weight', { ready: 0, min: 1, from: 10, to: 0, urgent: true }, 10, 0],
    ['create_pool', { base: 100, to: 100 }, null, 100],
    ['scale_up', { cpu: 0.9, from: 2, to: 3, added: 'jp-svc-plus-3' }, 2, 3],
    ['scale_down', { cpu: 0.1, from: 3, to: 2, victims: 'jp-svc-plus-3' }, 3, 2],
    ['replace', { node: 'sg-svc-plus-1', replacement: 'sg-svc-plus-2', down_ms: 320_000 }, 'sg-svc-plus-1', 'sg-svc-plus-2'],
    ['exclude', { node: 'sg-svc-plus-1', state: 'down' }, null, 'sg-svc-plus-1'],
    ['include', { node: 'jp-svc-plus-3', state: 'active' }, 'jp-svc-plus-3', null],
    ['forget', { node: 'jp-svc-plus-3', state: 'deleted' }, 'jp-svc-plus-3', null],
    ['remove', { node: 'jp-svc-plus-2', drained_ms: 61_000, drain_ms: 60_000 }, 'jp-svc-plus-2', null],
    ['weight', { ready: 1 }, null, null],
    ['something_new', { from: 1, to: 2 }, null, null],
  ];
  for (const [kind, why, from, to] of cases) {
    it(`reads ${kind} ${JSON.stringify(why)} as ${String(from)} → ${String(to)}`, () => {
      assert.deepEqual(changeOf({ kind, why }), { from, to });
    });
  }
});

describe('historyEntry', () => {
  it('keeps the record’s fields and gives its time in ISO 8601', () => {
    const entry = historyEntry({
      at: Date.parse('2026-11-22T00:39:41.233Z'),
      controller: 'gtm',
      service: 'svc-plus',
      region: 'sg',
      kind: 'exclude',
      summary: 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)',
      why: { node: 'sg-svc-plus-1', state: 'down' },
      commit: '0db89c977e0a61be99f039beb71bc4c7d0b9ca1e',
    });
    assert.deepEqual(entry, {
      at: '2026-11-22T00:39:41.233Z',
      commit: '0db89c977e0a61be99f039beb71bc4c7d0b9ca1e',
      controller: 'gtm',
      service: 'svc-plus',
      region: 'sg',
      kind: 'exclude',
      from: null,
      to: 'sg-svc-plus-1',
      summary: 'gtm: svc-plus sg exclude sg-svc-plus-1 (down)',
      why: { node: 'sg-svc-plus-1', state: 'down' },
    });
  });
});
