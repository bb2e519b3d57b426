import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pool } from '../config/index.js';
import type { Decision, GtmKind, PoolPatch } from '../decision/index.js';
import { applyDecisions } from './apply.js';

const d = (region: string, kind: GtmKind, patch: PoolPatch): Decision => ({
  controller: 'gtm',
  service: 'svc-plus',
  region,
  kind,
  summary: `gtm: svc-plus ${region} ${kind} (test)`,
  why: {},
  patch,
});
const jp = (): Pool => ({ weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: [] });

describe('applyDecisions', () => {
  it('returns the pools unchanged when there are no decisions', () => {
    assert.deepEqual(applyDecisions({ jp: jp() }, []), { jp: jp() });
  });

  it('sets only the keys a patch names', () => {
    assert.deepEqual(applyDecisions({ jp: jp() }, [d('jp', 'weight', { weight: 50 })]), { jp: { ...jp(), weight: 50 } });
  });

  it('lets a later cumulative patch of the same pool win', () => {
    const out = applyDecisions({ jp: jp() }, [
      d('jp', 'weight', { weight: 0 }),
      d('jp', 'exclude', { weight: 0, excluded: ['jp-svc-plus-1'] }),
      d('jp', 'exclude', { weight: 0, excluded: ['jp-svc-plus-1', 'jp-svc-plus-2'] }),
    ]);
    assert.deepEqual(out.jp, { weight: 0, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: ['jp-svc-plus-1', 'jp-svc-plus-2'] });
  });

  it('creates a pool that did not exist', () => {
    assert.deepEqual(applyDecisions({ jp: jp(), sg: undefined }, [d('sg', 'create_pool', { weight: 0, nodes: [], excluded: [] })]), {
      jp: jp(),
      sg: { weight: 0, nodes: [], excluded: [] },
    });
  });

  it('leaves out a region that has no pool and no decision', () => {
    assert.deepEqual(applyDecisions({ sg: undefined }, []), {});
  });

  it('applies decisions per region', () => {
    const out = applyDecisions({ jp: jp(), sg: { weight: 10, nodes: ['sg-svc-plus-1'], excluded: [] } }, [
      d('sg', 'weight', { weight: 0 }),
      d('jp', 'weight', { weight: 70 }),
    ]);
    assert.equal(out.jp?.weight, 70);
    assert.equal(out.sg?.weight, 0);
  });

  it('does not share arrays with its inputs', () => {
    const pool = jp();
    const patch: PoolPatch = { excluded: ['jp-svc-plus-2'] };
    const out = applyDecisions({ jp: pool }, [d('jp', 'exclude', patch)]);
    out.jp?.nodes.push('jp-svc-plus-3');
    out.jp?.excluded.push('jp-svc-plus-1');
    assert.deepEqual(pool, jp());
    assert.deepEqual(patch.excluded, ['jp-svc-plus-2']);
  });
});
