import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeObservation } from '../decision/index.js';
import { orderVictims } from './victims.js';

function obs(name: string, state: NodeObservation['state'], cpu: number | null = null): NodeObservation {
  return { name, state, stateSince: 0, addedAt: 0, cpu, rttMs: null, errorRate: null };
}
const names = (list: NodeObservation[]): string[] => list.map((o) => o.name);

const cases: { name: string; nodes: NodeObservation[]; excluded?: string[]; want: string[] }[] = [
  {
    name: 'a down node goes before a provisioning one, which goes before a serving one',
    nodes: [obs('jp-s-1', 'active', 0.1), obs('jp-s-2', 'warm'), obs('jp-s-3', 'down'), obs('jp-s-4', 'unknown')],
    want: ['jp-s-3', 'jp-s-4', 'jp-s-2', 'jp-s-1'],
  },
  {
    name: 'an excluded active node goes before a serving one, whatever its load',
    nodes: [obs('jp-s-1', 'active', 0.01), obs('jp-s-2', 'active', 0.9)],
    excluded: ['jp-s-2'],
    want: ['jp-s-2', 'jp-s-1'],
  },
  {
    name: 'a joining node outside DNS goes first, then an excluded active one, then one serving on trust, then active ones',
    nodes: [obs('jp-s-1', 'active', 0.01), obs('jp-s-2', 'unknown'), obs('jp-s-3', 'active', 0.9), obs('jp-s-4', 'warm')],
    excluded: ['jp-s-3', 'jp-s-4'],
    want: ['jp-s-4', 'jp-s-3', 'jp-s-2', 'jp-s-1'],
  },
  {
    name: 'serving nodes go least loaded first',
    nodes: [obs('jp-s-1', 'active', 0.5), obs('jp-s-2', 'active', 0.2), obs('jp-s-3', 'active', 0.3)],
    want: ['jp-s-2', 'jp-s-3', 'jp-s-1'],
  },
  {
    name: 'equal load goes newest first, by ordinal and not by string order',
    nodes: [obs('jp-s-9', 'active', 0.2), obs('jp-s-10', 'active', 0.2), obs('jp-s-2', 'active', 0.2)],
    want: ['jp-s-10', 'jp-s-9', 'jp-s-2'],
  },
  {
    name: 'a serving node without fresh cpu counts as idle',
    nodes: [obs('jp-s-1', 'active', 0.05), obs('jp-s-2', 'active', null)],
    want: ['jp-s-2', 'jp-s-1'],
  },
  {
    name: 'a hand-written name without an ordinal goes after numbered ones on ties',
    nodes: [obs('jp-special', 'active', 0.2), obs('jp-s-1', 'active', 0.2)],
    want: ['jp-s-1', 'jp-special'],
  },
];

for (const c of cases) {
  test(c.name, () => {
    assert.deepEqual(names(orderVictims(c.nodes, new Set(c.excluded ?? []))), c.want);
  });
}

test('does not reorder its input', () => {
  const nodes = [obs('jp-s-1', 'active', 0.5), obs('jp-s-2', 'down')];
  orderVictims(nodes, new Set());
  assert.deepEqual(names(nodes), ['jp-s-1', 'jp-s-2']);
});
