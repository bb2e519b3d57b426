import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Declarations, RegionDef } from '../config/index.js';
import { describeChange, diffDeclarations, eventsFor } from './diff.js';

const region = (name: string, extra: Partial<RegionDef> = {}): RegionDef => ({
  name,
  provider: 'local',
  node_template: 'containerd-only',
  labels: {},
  ...extra,
});

const base: Declarations = {
  gtm: {},
  autoscale: {},
  regions: { jp: region('jp'), sg: region('sg') },
  stacks: { jp: { region: 'jp', pools: {} } },
};

describe('diffDeclarations', () => {
  const cases: { name: string; before: Declarations | undefined; after: Declarations; want: string[] }[] = [
    { name: 'everything is added when there was no config', before: undefined, after: base, want: ['+ region jp', '+ region sg', '+ stack jp'] },
    { name: 'identical configs differ in nothing', before: base, after: structuredClone(base), want: [] },
    {
      name: 'key order alone is no change',
      before: base,
      after: { ...base, regions: { sg: region('sg'), jp: { labels: {}, node_template: 'containerd-only', provider: 'local', name: 'jp' } } },
      want: [],
    },
    {
      name: 'a modified, an added and a removed region',
      before: base,
      after: { ...base, regions: { jp: region('jp', { max_nodes: 3 }), us: region('us') } },
      want: ['~ region jp', '- region sg', '+ region us'],
    },
    {
      name: 'a stack pool change is a stack change',
      before: base,
      after: { ...base, stacks: { jp: { region: 'jp', pools: { a: { weight: 1, nodes: [], excluded: [] } } } } },
      want: ['~ stack jp'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(diffDeclarations(c.before, c.after).map(describeChange), c.want);
    });
  }
});

describe('eventsFor', () => {
  it('groups changes into one event per kind, naming services or regions', () => {
    const events = eventsFor('abc', [
      { kind: 'gtm', name: 'a', change: 'added' },
      { kind: 'gtm', name: 'b', change: 'modified' },
      { kind: 'region', name: 'jp', change: 'removed' },
    ]);
    assert.deepEqual(events, [
      { type: 'gtm', commit: 'abc', services: ['a', 'b'] },
      { type: 'region', commit: 'abc', regions: ['jp'] },
    ]);
  });

  it('makes no event when nothing changed', () => {
    assert.deepEqual(eventsFor('abc', []), []);
  });
});
