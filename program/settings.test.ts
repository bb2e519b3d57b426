import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readStackSettings, secretFromEnvironment, tokenFromEnvironment } from './settings.js';

const from = (values: Record<string, string>) => (key: string) => values[key];

describe('readStackSettings', () => {
  it('defaults to a region stack with no extra ports', () => {
    assert.deepEqual(readStackSettings(from({ region: 'jp' })), { role: 'region', region: 'jp', servicePorts: {}, stackOrganization: 'organization' });
  });
  it('reads every key', () => {
    const settings = readStackSettings(
      from({
        role: 'global',
        region: 'jp',
        pools: '{"svc-plus":{"weight":1}}',
        controlPlaneUrl: 'https://cp:7070',
        localStateDir: 'play/state',
        ami: 'ami-0abc',
        servicePorts: '{"svc-plus":[443]}',
        cloudflareAccountId: 'acc',
        cloudflareZoneId: 'zone',
        powerdnsApiUrl: 'http://pdns:8081',
        powerdnsServerId: 'pdns-a',
        alidnsMonitorNodes: '[{"cityCode":"503","ispCode":465}]',
        stackOrganization: 'acme',
      }),
    );
    assert.deepEqual(settings, {
      role: 'global',
      region: 'jp',
      pools: { 'svc-plus': { weight: 1 } },
      controlPlaneUrl: 'https://cp:7070',
      localStateDir: 'play/state',
      ami: 'ami-0abc',
      servicePorts: { 'svc-plus': [443] },
      cloudflareAccountId: 'acc',
      cloudflareZoneId: 'zone',
      powerdnsApiUrl: 'http://pdns:8081',
      powerdnsServerId: 'pdns-a',
      alidnsMonitorNodes: [{ cityCode: '503', ispCode: '465' }],
      stackOrganization: 'acme',
    });
  });
  it('names the key of a bad AliDNS probe location', () => {
    assert.throws(() => readStackSettings(from({ alidnsMonitorNodes: '[{"cityCode":"503"}]' })), /xplane:alidnsMonitorNodes\.0\.ispCode/);
    assert.throws(() => readStackSettings(from({ alidnsMonitorNodes: '[]' })), /xplane:alidnsMonitorNodes/);
  });
  it('refuses the former xplane:agentPackage with what to do instead', () => {
    assert.throws(
      () => readStackSettings(from({ agentPackage: '@acme/xplane' })),
      /agentPackage is no longer used: nodes fetch the agent from the control plane/,
    );
  });
  it('treats an empty value as unset', () => {
    assert.equal(readStackSettings(from({ controlPlaneUrl: ' ' })).controlPlaneUrl, undefined);
  });
  it('rejects an unknown role', () => {
    assert.throws(() => readStackSettings(from({ role: 'primary' })), /xplane:role must be "region" or "global", got "primary"/);
  });
  it('names the key of a bad port', () => {
    assert.throws(() => readStackSettings(from({ servicePorts: '{"svc-plus":[0]}' })), /xplane:servicePorts\.svc-plus\.0/);
  });
});

describe('tokenFromEnvironment', () => {
  const noFile = (): string => {
    throw new Error('ENOENT');
  };
  it('prefers XPLANE_BOOTSTRAP_TOKEN', () => {
    assert.equal(tokenFromEnvironment({ env: { XPLANE_BOOTSTRAP_TOKEN: ' tok ', XPLANE_BOOTSTRAP_TOKEN_FILE: '/f' }, readText: () => 'file' }), 'tok');
  });
  it('reads XPLANE_BOOTSTRAP_TOKEN_FILE', () => {
    assert.equal(tokenFromEnvironment({ env: { XPLANE_BOOTSTRAP_TOKEN_FILE: '/f' }, readText: () => 'file-tok\n' }), 'file-tok');
  });
  it('is undefined when neither is set, so the stack secret is used', () => {
    assert.equal(tokenFromEnvironment({ env: {}, readText: noFile }), undefined);
  });
  it('fails on an unreadable or empty file', () => {
    assert.throws(() => tokenFromEnvironment({ env: { XPLANE_BOOTSTRAP_TOKEN_FILE: '/f' }, readText: noFile }), /cannot read XPLANE_BOOTSTRAP_TOKEN_FILE \/f/);
    assert.throws(() => tokenFromEnvironment({ env: { XPLANE_BOOTSTRAP_TOKEN_FILE: '/f' }, readText: () => '\n' }), /is empty/);
  });
});

describe('secretFromEnvironment', () => {
  it('reads any variable and its _FILE twin, naming them in its errors', () => {
    assert.equal(secretFromEnvironment('XPLANE_POWERDNS_API_KEY', { env: { XPLANE_POWERDNS_API_KEY: 'k' }, readText: () => '' }), 'k');
    assert.equal(secretFromEnvironment('XPLANE_POWERDNS_API_KEY', { env: { XPLANE_POWERDNS_API_KEY_FILE: '/k' }, readText: () => 'fk\n' }), 'fk');
    assert.throws(
      () => secretFromEnvironment('XPLANE_POWERDNS_API_KEY', { env: { XPLANE_POWERDNS_API_KEY_FILE: '/k' }, readText: () => ' ' }),
      /XPLANE_POWERDNS_API_KEY_FILE \/k is empty/,
    );
  });
});
