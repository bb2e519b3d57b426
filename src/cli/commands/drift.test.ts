import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StackResult } from '../../converge/index.js';
import { driftExitCode, driftReport, stackDrift } from './drift.js';

const gone = {
  op: 'delete',
  urn: 'urn:pulumi:jp::xplane::aws:ec2/instance:Instance::jp-svc-plus-2',
  type: 'aws:ec2/instance:Instance',
  name: 'jp-svc-plus-2',
  properties: [],
};
const edited = {
  op: 'update',
  urn: 'urn:pulumi:sg::xplane::aws:route53/record:Record::sg-svc-plus-1',
  type: 'aws:route53/record:Record',
  name: 'sg-svc-plus-1',
  properties: [{ path: 'weightedRoutingPolicies[0].weight', old: 10, new: 255 }],
};

function result(stack: string, status: 'succeeded' | 'failed', resources: StackResult['resources'] = [], error: string | null = null): StackResult {
  return { stack, action: 'drift', status, changes: {}, outputs: {}, resources, diff: null, attempts: 1, durationMs: 5, error };
}

describe('xplane drift findings', () => {
  it('calls a stack clean, drifted or failed', () => {
    assert.equal(stackDrift(result('jp', 'succeeded')).status, 'clean');
    assert.equal(stackDrift(result('jp', 'succeeded', [gone])).status, 'drifted');
    assert.equal(stackDrift(result('jp', 'failed', [], 'the backend did not answer')).status, 'failed');
  });

  it('exits 0 with no drift, 3 with drift, and 1 when any stack could not be checked, drift or not', () => {
    const clean = stackDrift(result('jp', 'succeeded'));
    const drifted = stackDrift(result('sg', 'succeeded', [edited]));
    const failed = stackDrift(result('eu', 'failed', [], 'boom'));
    assert.equal(driftExitCode([clean]), 0);
    assert.equal(driftExitCode([clean, drifted]), 3);
    assert.equal(driftExitCode([drifted, failed]), 1);
    assert.equal(driftExitCode([]), 0);
  });

  it('reports each drifted resource and property under its stack', () => {
    const lines = driftReport([
      stackDrift(result('jp', 'succeeded', [gone])),
      stackDrift(result('sg', 'succeeded', [edited])),
      stackDrift(result('eu', 'succeeded')),
      stackDrift(result('us', 'failed', [], 'stack us has no state in s3://state: converge it first')),
    ]);
    assert.deepEqual(lines, [
      "jp: 1 resource drifted from Pulumi's state",
      '  - aws:ec2/instance:Instance jp-svc-plus-2: gone (deleted outside Pulumi)',
      "sg: 1 resource drifted from Pulumi's state",
      '  ~ aws:route53/record:Record sg-svc-plus-1',
      '      weightedRoutingPolicies[0].weight: 10 → 255',
      'eu: no drift',
      'us: could not check: stack us has no state in s3://state: converge it first',
    ]);
  });
});
