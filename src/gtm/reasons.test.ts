import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causeText, reasonText, type RegionReason, type WeightCause } from './reasons.js';

// The words are a contract: commit lines and the status API show them, docs/controllers.md quotes them.
const ready12: WeightCause = { kind: 'factors', words: 'ready 1/2' };

describe('GTM weight causes', () => {
  const rows: [WeightCause, string][] = [
    [ready12, 'ready 1/2'],
    [{ kind: 'fallback' }, 'fallback: every region would be 0'],
    [{ kind: 'frozen_keeps', frozen: 'panic', keeps: 100, wants: 25, words: 'ready 1/4' }, 'frozen (panic): keeps 100, wants 25 (ready 1/4)'],
    [{ kind: 'frozen_floor', frozen: 'store', words: 'ready 3/4' }, 'ready 3/4; frozen (store): down nodes count as ready'],
    [
      { kind: 'trust_keeps', keeps: 100, onTrust: ['jp-svc-plus-1', 'jp-svc-plus-2'], wants: 0, cause: { kind: 'factors', words: 'ready 0 < min 1' } },
      'keeps 100: 2 serving on trust (jp-svc-plus-1, jp-svc-plus-2); wants 0 (ready 0 < min 1)',
    ],
    [
      {
        kind: 'trust_keeps',
        keeps: 100,
        onTrust: ['jp-svc-plus-1'],
        wants: 25,
        cause: { kind: 'frozen_keeps', frozen: 'panic', keeps: 50, wants: 25, words: 'ready 1/4' },
      },
      'keeps 100: 1 serving on trust (jp-svc-plus-1); wants 25 (frozen (panic): keeps 50, wants 25 (ready 1/4))',
    ],
    [{ kind: 'trust_floor', words: 'ready 1/2', onTrust: ['jp-svc-plus-1'] }, 'ready 1/2, counting 1 serving on trust (jp-svc-plus-1) as ready'],
  ];
  for (const [cause, text] of rows) it(`a ${cause.kind} cause reads "${text}"`, () => assert.equal(causeText(cause), text));
});

describe('GTM region reasons', () => {
  const rows: [RegionReason, string][] = [
    [{ kind: 'fail_static', ready: 0, desired: 2 }, 'fail static: no region has a ready node, weights and exclusions left as they are (ready 0/2)'],
    [{ kind: 'no_pool_held', cause: ready12 }, 'held by a human override: no pool in the stack, not creating one (ready 1/2)'],
    [{ kind: 'pool_created', cause: { kind: 'factors', words: 'ready 0/0' } }, 'pool created (ready 0/0)'],
    [{ kind: 'pool', weight: { kind: 'wanted', cause: ready12 }, excluded: undefined }, 'ready 1/2'],
    [
      { kind: 'pool', weight: { kind: 'held', keeps: 100, wants: 50, cause: ready12 }, excluded: undefined },
      'held by a human override at 100 (wants 50: ready 1/2)',
    ],
    [
      {
        kind: 'pool',
        weight: { kind: 'waiting', agoMs: 30_400, intervalMs: 60_000, keeps: 50, wants: 100, cause: { kind: 'factors', words: 'ready 2/2' } },
        excluded: undefined,
      },
      'waiting: last change 30s ago < min_change_interval 1m; keeps 50, wants 100 (ready 2/2)',
    ],
    [{ kind: 'pool', weight: { kind: 'wanted', cause: ready12 }, excluded: { kind: 'held' } }, 'ready 1/2; excluded held by a human override'],
    [
      {
        kind: 'pool',
        weight: { kind: 'wanted', cause: { kind: 'frozen_keeps', frozen: 'panic', keeps: 100, wants: 25, words: 'ready 1/4' } },
        excluded: {
          kind: 'frozen',
          frozen: 'panic',
          kept: [
            { node: 'jp-svc-1', because: 'down' },
            { node: 'jp-svc-2', because: 'not registered for 10m' },
          ],
        },
      },
      'frozen (panic): keeps 100, wants 25 (ready 1/4); frozen (panic): not excluding jp-svc-1 (down), jp-svc-2 (not registered for 10m)',
    ],
  ];
  for (const [reason, text] of rows) it(`a ${reason.kind} reason reads "${text}"`, () => assert.equal(reasonText(reason), text));
});
