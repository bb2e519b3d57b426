import { test } from 'node:test';
import assert from 'node:assert/strict';
import { causeText, changeText, heldBackText, reasonText, type Cause, type Change, type HeldBack, type Reading, type RegionReason } from './reasons.js';

// The words are a contract: the status API shows them and docs/controllers.md quotes them.
const above: Reading = { kind: 'cpu_above', cpu: 0.9, threshold: 0.7 };
const below: Reading = { kind: 'cpu_below', cpu: 0.12, threshold: 0.3 };
const jpAtMax = { kind: 'cap', region: 'jp', cap: { by: 'max_nodes', value: 5 } } as const;

const reasons: [RegionReason, string][] = [
  [{ kind: 'reading', reading: above }, 'cpu=0.90 > 0.70'],
  [{ kind: 'reading', reading: below }, 'cpu=0.12 < 0.30'],
  [{ kind: 'reading', reading: { kind: 'cpu_within', cpu: 0.5, down: 0.3, up: 0.7 } }, 'cpu=0.50 within 0.30..0.70'],
  [{ kind: 'reading', reading: { kind: 'cpu_within', cpu: 0.456, down: 0.25, up: 0.6 } }, 'cpu=0.46 within 0.25..0.60'],
  [{ kind: 'reading', reading: { kind: 'metrics_missing', then: 'scale_up' } }, 'metrics missing (on_missing_metrics: scale_up)'],
  [{ kind: 'reading', reading: { kind: 'metrics_missing', then: 'hold' } }, 'metrics missing: holding'],
  [{ kind: 'reading', reading: { kind: 'metrics_missing', then: 'no_nodes' } }, 'no nodes'],
  [{ kind: 'held' }, 'held by a human change'],
  [{ kind: 'at_min', reading: { kind: 'cpu_below', cpu: 0.1, threshold: 0.3 }, min: 1 }, 'cpu=0.10 < 0.30, at min 1'],
  [{ kind: 'stabilizing', reading: below, forMs: 299_000, windowMs: 300_000 }, 'cpu=0.12 < 0.30 for 4m59s of 5m'],
  [{ kind: 'stabilizing', reading: below, forMs: 0, windowMs: 300_000 }, 'cpu=0.12 < 0.30 for 0s of 5m'],
  [{ kind: 'waiting', reading: above, wait: { kind: 'coming', count: 1 } }, 'cpu=0.90 > 0.70, waiting for 1 new node'],
  [{ kind: 'waiting', reading: above, wait: { kind: 'coming', count: 2 } }, 'cpu=0.90 > 0.70, waiting for 2 new nodes'],
  [{ kind: 'waiting', reading: above, wait: { kind: 'cooldown', leftMs: 59_001 } }, 'cpu=0.90 > 0.70, cooldown 60s left'],
  [{ kind: 'keeping_capacity', reading: below, saturated: ['jp'] }, 'cpu=0.12 < 0.30, keeping capacity for jp (at its limit)'],
  [{ kind: 'keeping_capacity', reading: below, saturated: ['jp', 'us'] }, 'cpu=0.12 < 0.30, keeping capacity for jp, us (at its limit)'],
  [{ kind: 'limited', reading: above, limit: jpAtMax }, 'cpu=0.90 > 0.70, jp at max 5'],
  [{ kind: 'limited', reading: above, limit: { kind: 'cap', region: 'jp', cap: { by: 'quota', value: 20 } } }, 'cpu=0.90 > 0.70, jp at quota 20'],
  [{ kind: 'limited', reading: above, limit: { kind: 'max_regions', maxRegions: 3 } }, 'cpu=0.90 > 0.70, max_regions 3'],
  [{ kind: 'last_node_kept', cause: { kind: 'cpu_below', cpu: 0.05, threshold: 0.3 }, minRegions: 1 }, 'cpu=0.05: last node kept for min_regions 1'],
  [{ kind: 'last_node_kept', cause: { kind: 'max_nodes', max: 0 }, minRegions: 1 }, 'max 0: last node kept for min_regions 1'],
  [{ kind: 'below_min', min: 1, limit: { kind: 'max_regions', maxRegions: 1 } }, 'below min 1, but max_regions 1 reached'],
  [{ kind: 'below_min', min: 2, limit: { kind: 'cap', region: 'jp', cap: { by: 'quota', value: 20 } } }, 'below min 2, but at quota 20'],
  [{ kind: 'scaled_up', cause: above, from: 2, to: 3, added: ['jp-svc-plus-3'] }, 'cpu=0.90: 2→3, adding jp-svc-plus-3'],
  [
    { kind: 'scaled_up', cause: { kind: 'min_regions', minRegions: 2 }, from: 0, to: 2, added: ['us-svc-plus-1', 'us-svc-plus-2'] },
    'min_regions 2: 0→2, adding us-svc-plus-1, us-svc-plus-2',
  ],
  [{ kind: 'scaled_down', cause: below, from: 3, to: 2, draining: ['jp-svc-plus-2'], dropped: [] }, 'cpu=0.12: 3→2, draining jp-svc-plus-2'],
  [
    { kind: 'scaled_down', cause: { kind: 'max_nodes', max: 2 }, from: 4, to: 2, draining: ['jp-svc-plus-4'], dropped: ['jp-svc-plus-3'] },
    'max 2: 4→2, draining jp-svc-plus-4, removing jp-svc-plus-3 (never registered)',
  ],
  [
    { kind: 'scaled_down', cause: below, from: 3, to: 1, draining: [], dropped: ['jp-svc-plus-2', 'jp-svc-plus-3'] },
    'cpu=0.12: 3→1, removing jp-svc-plus-2, jp-svc-plus-3 (never registered)',
  ],
  [
    { kind: 'overflow_waits', before: { kind: 'limited', reading: above, limit: jpAtMax }, on: 'sg', because: { kind: 'cooldown', leftMs: 80_000 } },
    'cpu=0.90 > 0.70, jp at max 5; overflow waits for sg (cooldown 80s left)',
  ],
  [
    { kind: 'overflow_waits', before: { kind: 'limited', reading: above, limit: jpAtMax }, on: 'us', because: { kind: 'coming', count: 1 } },
    'cpu=0.90 > 0.70, jp at max 5; overflow waits for us (waiting for 1 new node)',
  ],
  [
    { kind: 'overflow_waits', before: { kind: 'reading', reading: above }, on: 'sg', because: { kind: 'changed' } },
    'cpu=0.90 > 0.70; overflow waits for sg (changed in this pass)',
  ],
  [
    {
      kind: 'overflowed',
      before: { kind: 'limited', reading: above, limit: jpAtMax },
      placed: [
        { region: 'sg', count: 2 },
        { region: 'us', count: 1 },
      ],
    },
    'cpu=0.90 > 0.70, jp at max 5; overflow 2 to sg, 1 to us',
  ],
  [
    {
      kind: 'frozen',
      before: { kind: 'reading', reading: { kind: 'cpu_below', cpu: 0.1, threshold: 0.3 } },
      frozen: 'panic',
      heldBack: [{ kind: 'scale_down', from: 4, to: 3, cause: { kind: 'cpu_below', cpu: 0.1, threshold: 0.3 } }],
    },
    'cpu=0.10 < 0.30; frozen (panic): not scaling down 4→3 (cpu=0.10)',
  ],
  [
    {
      kind: 'frozen',
      before: { kind: 'reading', reading: { kind: 'metrics_missing', then: 'hold' } },
      frozen: 'store',
      heldBack: [
        { kind: 'remove', node: 'jp-svc-plus-3', gone: { kind: 'deleted' } },
        { kind: 'replace', node: 'jp-svc-plus-1', downMs: 360_000 },
      ],
    },
    'metrics missing: holding; frozen (store): not removing jp-svc-plus-3 (deleted), not replacing jp-svc-plus-1 (down 6m)',
  ],
];

for (const [reason, text] of reasons) {
  test(`a ${reason.kind} reason reads "${text}"`, () => assert.equal(reasonText(reason), text));
}

test('every kind of region reason has a row above', () => {
  const kinds: RegionReason['kind'][] = [
    'reading',
    'held',
    'at_min',
    'stabilizing',
    'waiting',
    'keeping_capacity',
    'limited',
    'last_node_kept',
    'below_min',
    'scaled_up',
    'scaled_down',
    'overflow_waits',
    'overflowed',
    'frozen',
  ];
  assert.deepEqual([...new Set(reasons.map(([r]) => r.kind))].sort(), [...kinds].sort());
});

const causes: [Cause, string][] = [
  [above, 'cpu=0.90'],
  [{ kind: 'metrics_missing', then: 'scale_up' }, 'metrics missing'],
  [{ kind: 'max_nodes', max: 5 }, 'max 5'],
  [{ kind: 'min_nodes', min: 2 }, 'min 2'],
  [{ kind: 'min_regions', minRegions: 2 }, 'min_regions 2'],
  [{ kind: 'overflow', from: 'jp', reading: { kind: 'cpu_above', cpu: 0.92, threshold: 0.7 }, limit: jpAtMax }, 'overflow from jp: cpu=0.92, jp at max 5'],
  [
    { kind: 'overflow', from: 'jp', reading: { kind: 'metrics_missing', then: 'scale_up' }, limit: { kind: 'max_regions', maxRegions: 1 } },
    'overflow from jp: metrics missing, max_regions 1',
  ],
];

for (const [cause, text] of causes) {
  test(`a ${cause.kind} cause reads "${text}"`, () => assert.equal(causeText(cause), text));
}

const changes: [Change, string][] = [
  [{ kind: 'scale_up', from: 1, to: 2, cause: above }, '1→2 (cpu=0.90)'],
  [{ kind: 'scale_up', from: 1, to: 2, cause: { kind: 'min_nodes', min: 2 } }, '1→2 (min 2)'],
  [{ kind: 'scale_down', from: 6, to: 5, cause: { kind: 'max_nodes', max: 5 } }, '6→5 (max 5)'],
  [{ kind: 'remove', node: 'jp-svc-plus-2', gone: { kind: 'drained', forMs: 60_000 } }, 'remove jp-svc-plus-2 (drained 60s)'],
  [{ kind: 'remove', node: 'jp-svc-plus-3', gone: { kind: 'deleted' } }, 'remove jp-svc-plus-3 (deleted)'],
  [{ kind: 'replace', node: 'sg-svc-plus-1', by: 'sg-svc-plus-2', downMs: 320_000 }, 'replace sg-svc-plus-1 → sg-svc-plus-2 (down 5m20s)'],
];

for (const [change, text] of changes) {
  test(`a ${change.kind} change reads "${text}"`, () => assert.equal(changeText(change), text));
}

const heldBack: [HeldBack, string][] = [
  [{ kind: 'scale_down', from: 4, to: 3, cause: { kind: 'cpu_below', cpu: 0.1, threshold: 0.3 } }, 'not scaling down 4→3 (cpu=0.10)'],
  [{ kind: 'remove', node: 'jp-svc-plus-3', gone: { kind: 'deleted' } }, 'not removing jp-svc-plus-3 (deleted)'],
  [{ kind: 'remove', node: 'jp-svc-plus-3', gone: { kind: 'drained', forMs: 90_000 } }, 'not removing jp-svc-plus-3 (drained 90s)'],
  [{ kind: 'replace', node: 'jp-svc-plus-1', downMs: 360_000 }, 'not replacing jp-svc-plus-1 (down 6m)'],
];

for (const [what, text] of heldBack) {
  test(`what a freeze held back reads "${text}"`, () => assert.equal(heldBackText(what), text));
}
