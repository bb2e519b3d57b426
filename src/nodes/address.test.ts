import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidAddress, splitAddress } from './address.js';

describe('splitAddress', () => {
  const cases: [string, { host: string; port: number | null }][] = [
    ['10.0.0.1', { host: '10.0.0.1', port: null }],
    ['10.0.0.1:8080', { host: '10.0.0.1', port: 8080 }],
    ['::1', { host: '::1', port: null }],
    ['2001:db8::1', { host: '2001:db8::1', port: null }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: null }],
    ['[2001:db8::1]:443', { host: '2001:db8::1', port: 443 }],
    ['::ffff:10.0.0.1', { host: '::ffff:10.0.0.1', port: null }],
  ];
  for (const [input, want] of cases) {
    it(`splits ${input}`, () => assert.deepEqual(splitAddress(input), want));
  }

  it('gives no port for a port that is not a number', () => {
    assert.deepEqual(splitAddress('10.0.0.1:http'), { host: '10.0.0.1', port: null });
  });
});

describe('isValidAddress', () => {
  const valid = ['10.0.0.1', '10.0.0.1:1', '10.0.0.1:65535', '::1', '2001:db8::1', '[2001:db8::1]', '[2001:db8::1]:8080', '::ffff:10.0.0.1', '0.0.0.0'];
  const invalid = [
    '',
    'example.com',
    'example.com:80',
    'localhost',
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.1:0',
    '10.0.0.1:65536',
    '10.0.0.1:080',
    '10.0.0.1:',
    '10.0.0.1:http',
    '10.0.0.1:80:80',
    '[10.0.0.1]',
    '[10.0.0.1]:80',
    '[::1',
    '[::1]:',
    '[::1]:0',
    '[::1]x',
    'fe80::1%eth0',
    '[fe80::1%eth0]:80',
    ' 10.0.0.1',
    '10.0.0.1 ',
  ];
  for (const a of valid) it(`accepts ${JSON.stringify(a)}`, () => assert.equal(isValidAddress(a), true));
  for (const a of invalid) it(`rejects ${JSON.stringify(a)}`, () => assert.equal(isValidAddress(a), false));
});
