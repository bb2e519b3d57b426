// Decision kinds are checked by the type checker (the full `npm test` runs tsc over the tests):
// each `@ts-expect-error` below fails the type check if the line it marks ever type-checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoscaleDecision, ControllerDecision, GtmDecision } from './types.js';

const fields = { service: 'svc-plus', region: 'jp', summary: 'x', why: {}, patch: {} };

describe('decision kinds', () => {
  it('accepts each controller with its own kinds', () => {
    const decisions: ControllerDecision[] = [
      { controller: 'gtm', kind: 'weight', ...fields },
      { controller: 'gtm', kind: 'create_pool', ...fields },
      { controller: 'gtm', kind: 'exclude', ...fields },
      { controller: 'gtm', kind: 'include', ...fields },
      { controller: 'gtm', kind: 'forget', ...fields },
      { controller: 'autoscale', kind: 'scale_up', ...fields },
      { controller: 'autoscale', kind: 'scale_down', ...fields },
      { controller: 'autoscale', kind: 'remove', ...fields },
      { controller: 'autoscale', kind: 'replace', ...fields },
    ];
    assert.equal(decisions.length, 9);
  });

  it('rejects a kind of the other controller, or none of either', () => {
    // @ts-expect-error scale_up is an autoscale kind
    const gtm: ControllerDecision = { controller: 'gtm', kind: 'scale_up', ...fields };
    // @ts-expect-error weight is a GTM kind
    const autoscale: AutoscaleDecision = { controller: 'autoscale', kind: 'weight', ...fields };
    // @ts-expect-error no controller decides `resize`
    const other: GtmDecision = { controller: 'gtm', kind: 'resize', ...fields };
    assert.deepEqual([gtm.kind, autoscale.kind, other.kind], ['scale_up', 'weight', 'resize']);
  });

  it('narrows the kind by the controller', () => {
    const d = { controller: 'autoscale', kind: 'remove', ...fields } as ControllerDecision;
    if (d.controller === 'autoscale') {
      const kind: AutoscaleDecision['kind'] = d.kind;
      assert.equal(kind, 'remove');
    } else {
      assert.fail('an autoscale decision');
    }
  });
});
