import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localNodeAddress, localNodeIp, localNodeNumber } from './local-addresses.js';

const regions = ['sg', 'lab', 'jp']; // sorted: jp=1, lab=2, sg=3
const services = ['web', 'api', 'svc-plus']; // sorted: api=1, svc-plus=2, web=3

describe('localNodeIp', () => {
  const cases: [region: string, service: string, node: string, expected: string][] = [
    ['jp', 'api', 'jp-api-1', '127.1.1.1'],
    ['jp', 'svc-plus', 'jp-svc-plus-1', '127.1.2.1'],
    ['lab', 'svc-plus', 'lab-svc-plus-7', '127.2.2.7'],
    ['sg', 'web', 'sg-web-254', '127.3.3.254'],
    ['sg', 'web', 'sg-web-012', '127.3.3.12'], // the number, not the digits
  ];
  for (const [region, service, node, expected] of cases) {
    it(`puts ${node} at ${expected}`, () => {
      assert.equal(localNodeIp({ regions, services, region, service, node }), expected);
    });
  }

  it('does not depend on the order the names are listed in', () => {
    const a = localNodeIp({ regions, services, region: 'lab', service: 'web', node: 'lab-web-3' });
    const b = localNodeIp({ regions: [...regions].reverse(), services: [...services].reverse(), region: 'lab', service: 'web', node: 'lab-web-3' });
    assert.equal(a, b);
  });

  it('appends the port for the agent address', () => {
    assert.equal(localNodeAddress({ regions, services, region: 'jp', service: 'api', node: 'jp-api-2' }, 8080), '127.1.1.2:8080');
  });

  it('fails on an undeclared region or service', () => {
    assert.throws(() => localNodeIp({ regions, services, region: 'mars', service: 'api', node: 'mars-api-1' }), /region "mars" is not declared/);
    assert.throws(() => localNodeIp({ regions, services, region: 'jp', service: 'db', node: 'jp-db-1' }), /service "db" is not declared/);
  });
});

describe('localNodeNumber', () => {
  const bad: [node: string, message: RegExp][] = [
    ['jp-api-0', /number 0 is outside 1\.\.254/],
    ['jp-api-255', /number 255 is outside 1\.\.254/],
    ['jp-api-1000', /number 1000 is outside 1\.\.254/],
    ['jp-api-x', /expected a name like jp-api-<n>/],
    ['sg-api-1', /expected a name like jp-api-<n>/],
    ['jp-api-', /expected a name like jp-api-<n>/],
  ];
  for (const [node, message] of bad) {
    it(`refuses ${node}`, () => {
      assert.throws(() => localNodeNumber(node, 'jp', 'api'), message);
    });
  }

  it('reads the number of a service whose name has dashes', () => {
    assert.equal(localNodeNumber('jp-svc-plus-12', 'jp', 'svc-plus'), 12);
  });
});
