import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameSequence, nameOrdinal } from './node-names.js';

test('reads the ordinal at the end of a node name', () => {
  assert.equal(nameOrdinal('jp-svc-plus-12'), 12);
  assert.equal(nameOrdinal('jp-svc-plus'), undefined);
});

const cases: { name: string; used: number; pool: string[]; want: string[] }[] = [
  { name: 'starts at 1 for a new pool', used: 0, pool: [], want: ['jp-svc-plus-1', 'jp-svc-plus-2'] },
  { name: 'continues above the highest ordinal ever used', used: 7, pool: ['jp-svc-plus-2'], want: ['jp-svc-plus-8'] },
  { name: 'continues above a name in the pool the registry has not seen', used: 2, pool: ['jp-svc-plus-5'], want: ['jp-svc-plus-6'] },
  { name: 'ignores names of other services and regions', used: 1, pool: ['jp-svc-plus-api-9', 'sg-svc-plus-9'], want: ['jp-svc-plus-2'] },
];

for (const c of cases) {
  test(`names: ${c.name}`, () => {
    const seq = new NameSequence('jp', 'svc-plus', c.used, c.pool);
    assert.deepEqual(
      c.want.map(() => seq.take()),
      c.want,
    );
  });
}
