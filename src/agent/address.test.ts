import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, parseAddress } from './address.js';

describe('parseAddress', () => {
  const cases: { text: string; want: ReturnType<typeof parseAddress> }[] = [
    { text: '127.0.0.1:8080', want: { host: '127.0.0.1', port: 8080 } },
    { text: '10.0.0.7:0', want: { host: '10.0.0.7', port: 0 } },
    { text: 'localhost:9000', want: { host: 'localhost', port: 9000 } },
    { text: '[::1]:8080', want: { host: '::1', port: 8080 } },
    { text: '127.0.0.1', want: undefined },
    { text: '127.0.0.1:70000', want: undefined },
    { text: '::1:8080', want: undefined },
    { text: ':8080', want: undefined },
  ];
  for (const c of cases) it(`parses ${c.text}`, () => assert.deepEqual(parseAddress(c.text), c.want));

  it('round-trips through formatAddress, bracketing IPv6', () => {
    for (const text of ['127.0.0.1:8080', '[::1]:8080']) assert.equal(formatAddress(parseAddress(text) ?? { host: '', port: 0 }), text);
  });
});
