import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DNS_PROVIDERS } from '../../src/config/index.js';
import { dnsProvider } from './factory.js';

describe('dnsProvider', () => {
  it('has a provider for every name a gtm dns.provider may take, under that name', () => {
    for (const name of DNS_PROVIDERS) assert.equal(dnsProvider(name).name, name);
  });

  it('fails loudly on an unknown name, listing the known ones', () => {
    assert.throws(
      () => dnsProvider('bind9'),
      /unknown DNS provider "bind9" \(gtm dns\.provider\): expected one of route53, cloudflare, powerdns, alidns, local/,
    );
  });

  it('serves loopback addresses only where the DNS server can sit beside the nodes', () => {
    assert.deepEqual(
      DNS_PROVIDERS.filter((name) => dnsProvider(name).servesLoopback),
      ['powerdns', 'local'],
    );
  });

  it('gives a global part only to providers whose answers must see every region at once', () => {
    assert.deepEqual(
      DNS_PROVIDERS.filter((name) => dnsProvider(name).global !== undefined),
      ['cloudflare', 'alidns'],
    );
  });
});
