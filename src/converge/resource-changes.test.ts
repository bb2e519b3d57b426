import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeResourceChange, propertyChanges, resourceChange, type StepMetadata } from './resource-changes.js';

const DNS = 'urn:pulumi:jp::xplane::pulumi-nodejs:dynamic/xplane:LocalDnsRecords::svc-plus-dns';
const NODE = 'urn:pulumi:jp::xplane::xplane:local:NodePool$pulumi-nodejs:dynamic/xplane:LocalNode::jp-svc-plus-2';
const records = (weight: number) => ({
  __provider: 'exports.handler = ...',
  domain: 'api.svc.plus',
  ttl: 30,
  records: [{ node: 'jp-svc-plus-1', ip: '127.1.1.1', weight }],
});

describe('propertyChanges', () => {
  const table: { what: string; before: Record<string, unknown>; after: Record<string, unknown>; expected: ReturnType<typeof propertyChanges> }[] = [
    { what: 'equal bags: nothing', before: records(100), after: records(100), expected: [] },
    { what: 'a nested leaf', before: records(100), after: records(7), expected: [{ path: 'records[0].weight', old: 100, new: 7 }] },
    {
      what: 'an element added to a list',
      before: { records: [] },
      after: { records: [{ node: 'a' }] },
      expected: [{ path: 'records[0]', new: { node: 'a' } }],
    },
    { what: 'a key removed', before: { ttl: 30, zone: 'svc.plus' }, after: { ttl: 30 }, expected: [{ path: 'zone', old: 'svc.plus' }] },
    { what: 'a type change', before: { ttl: 30 }, after: { ttl: '30' }, expected: [{ path: 'ttl', old: 30, new: '30' }] },
    { what: 'the engine’s own __ keys are skipped', before: { __provider: 'a', ttl: 1 }, after: { __provider: 'b', ttl: 1 }, expected: [] },
    {
      what: 'several, in path order',
      before: { b: 1, a: { y: 1, x: 1 } },
      after: { b: 2, a: { y: 2, x: 1 } },
      expected: [
        { path: 'a.y', old: 1, new: 2 },
        { path: 'b', old: 1, new: 2 },
      ],
    },
  ];
  for (const c of table) it(c.what, () => assert.deepEqual(propertyChanges(c.before, c.after), c.expected));
});

describe('resourceChange', () => {
  it('reads a refresh’s update as drift of the outputs', () => {
    const step: StepMetadata = {
      op: 'update',
      urn: DNS,
      type: 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
      old: { outputs: records(100) },
      new: { outputs: records(7) },
    };
    assert.deepEqual(resourceChange(step, 'outputs'), {
      op: 'update',
      urn: DNS,
      type: 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
      name: 'svc-plus-dns',
      properties: [{ path: 'records[0].weight', old: 100, new: 7 }],
    });
  });

  it('reads a resource gone as a delete with no properties', () => {
    const step: StepMetadata = { op: 'delete', urn: NODE, type: 'pulumi-nodejs:dynamic/xplane:LocalNode', old: { outputs: { pid: 1 } }, new: null };
    assert.deepEqual(resourceChange(step, 'outputs')?.properties, []);
    assert.equal(resourceChange(step, 'outputs')?.name, 'jp-svc-plus-2');
  });

  it('ignores steps that change nothing and the engine’s providers', () => {
    for (const op of ['same', 'refresh', 'read']) assert.equal(resourceChange({ op, urn: DNS, type: 'x:y:Z' }, 'inputs'), undefined);
    assert.equal(
      resourceChange({ op: 'update', urn: 'urn:pulumi:jp::xplane::pulumi:providers:aws::default', type: 'pulumi:providers:aws' }, 'inputs'),
      undefined,
    );
  });
});

describe('describeResourceChange', () => {
  it('prints drift as a person reads it', () => {
    assert.deepEqual(
      describeResourceChange(
        {
          op: 'update',
          urn: DNS,
          type: 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
          name: 'svc-plus-dns',
          properties: [{ path: 'records[0].weight', old: 100, new: 7 }],
        },
        true,
      ),
      ['~ xplane:LocalDnsRecords svc-plus-dns', '    records[0].weight: 100 → 7'],
    );
    assert.deepEqual(
      describeResourceChange({ op: 'delete', urn: NODE, type: 'pulumi-nodejs:dynamic/xplane:LocalNode', name: 'jp-svc-plus-2', properties: [] }, true),
      ['- xplane:LocalNode jp-svc-plus-2: gone (deleted outside Pulumi)'],
    );
  });

  it('prints additions and removals on both sides', () => {
    const lines = describeResourceChange({
      op: 'update',
      urn: DNS,
      type: 'aws:route53/record:Record',
      name: 'r',
      properties: [
        { path: 'a', new: 1 },
        { path: 'b', old: 2 },
      ],
    });
    assert.deepEqual(lines, ['~ aws:route53/record:Record r', '    a: added, now 1', '    b: 2, now removed']);
  });
});
