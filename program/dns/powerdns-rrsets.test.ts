import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { MemoryPowerDns } from './powerdns-memory.js';
import { powerDnsRecordsProvider, type PowerDnsRecordsState } from './powerdns-rrsets.js';

const ZONE = 'svc.plus.';

function state(region: string, content = `LUA "W['127.1.1.1']=1"`): PowerDnsRecordsState {
  return {
    implementation: '/x/powerdns-provider.cjs',
    apiUrl: 'http://127.0.0.1:8081',
    serverId: 'localhost',
    apiKey: 'k',
    zone: ZONE,
    ttl: 30,
    region: { name: `${region}._xplane.api.svc.plus.`, content },
    answer: { name: 'api.svc.plus.', content: `A ";W={} include('jp._xplane.api') include('sg._xplane.api') return pickwrandom({})"` },
    regionSuffix: '._xplane.api.svc.plus.',
  };
}

describe('the PowerDNS records provider', () => {
  let pdns: MemoryPowerDns;
  let provider: ReturnType<typeof powerDnsRecordsProvider>;
  beforeEach(() => {
    pdns = new MemoryPowerDns([ZONE]);
    provider = powerDnsRecordsProvider(() => pdns);
  });

  it('writes the region record and the answer record in one PATCH', async () => {
    const { id, outs } = await provider.create(state('jp'));
    assert.equal(id, 'localhost/svc.plus./jp._xplane.api.svc.plus.');
    assert.deepEqual(outs.records, ['jp._xplane.api.svc.plus.', 'api.svc.plus.']);
    assert.equal(pdns.patches.length, 1);
    assert.deepEqual(
      pdns.patches[0]?.rrsets.map((r) => [r.name, r.type, r.changetype, 'ttl' in r ? r.ttl : undefined]),
      [
        ['jp._xplane.api.svc.plus.', 'LUA', 'REPLACE', 30],
        ['api.svc.plus.', 'LUA', 'REPLACE', 30],
      ],
    );
    assert.equal(pdns.find(ZONE, 'api.svc.plus.')?.records[0]?.content, state('jp').answer.content);
  });

  it('refuses to answer beside address records it did not make', async () => {
    pdns.zones.get(ZONE)?.push({ name: 'api.svc.plus.', type: 'A', ttl: 60, records: [{ content: '192.0.2.1' }] });
    await assert.rejects(provider.create(state('jp')), /api\.svc\.plus\. already has A records that xplane did not make/);
    assert.equal(pdns.patches.length, 0);
  });

  it('refuses to write over LUA records it did not make', async () => {
    pdns.zones.get(ZONE)?.push({ name: 'api.svc.plus.', type: 'LUA', ttl: 60, records: [{ content: `A "ifportup(443, {'192.0.2.1'})"` }] });
    await assert.rejects(provider.create(state('jp')), /already has LUA records that xplane did not make/);
  });

  it('says how to turn LUA records on when PowerDNS has them off', async () => {
    pdns.luaRecords = false;
    await assert.rejects(provider.create(state('jp')), /set enable-lua-records=yes/);
  });

  it('names the missing zone', async () => {
    await assert.rejects(provider.create({ ...state('jp'), zone: 'nope.plus.' }), /zone nope\.plus\. does not exist/);
  });

  it('keeps the answer record while another region has its record, and deletes it with the last', async () => {
    await provider.create(state('jp'));
    await provider.create(state('sg'));
    await provider.delete('', state('jp'));
    assert.equal(pdns.find(ZONE, 'jp._xplane.api.svc.plus.'), undefined);
    assert.ok(pdns.find(ZONE, 'sg._xplane.api.svc.plus.'));
    assert.ok(pdns.find(ZONE, 'api.svc.plus.'), 'sg still answers');
    await provider.delete('', state('sg'));
    assert.deepEqual(
      pdns.zones.get(ZONE)?.map((r) => r.type),
      ['SOA'],
      'only the zone is left',
    );
  });

  it('deletes nothing it did not make, and is done when the zone is gone', async () => {
    pdns.zones.get(ZONE)?.push({ name: 'api.svc.plus.', type: 'LUA', ttl: 60, records: [{ content: `A "'192.0.2.1'"` }] });
    await provider.delete('', state('jp'));
    assert.ok(pdns.find(ZONE, 'api.svc.plus.'));
    assert.deepEqual(
      pdns.patches.flatMap((p) => p.rrsets.map((r) => r.name)),
      ['jp._xplane.api.svc.plus.'],
      'only its own region record (absent here: a no-op)',
    );
    await provider.delete('', { ...state('jp'), zone: 'gone.plus.' });
  });

  it('deletes the answer record when two regions are deleted at once', async () => {
    await provider.create(state('jp'));
    await provider.create(state('sg'));
    await Promise.all([provider.delete('', state('jp')), provider.delete('', state('sg'))]);
    assert.equal(pdns.find(ZONE, 'api.svc.plus.'), undefined);
  });

  it('reads drift back, and reports the resource gone without its region record', async () => {
    await provider.create(state('jp'));
    const rrset = pdns.find(ZONE, 'jp._xplane.api.svc.plus.');
    if (rrset?.records[0]) rrset.records[0].content = 'LUA "W=W or {}"';
    const read = await provider.read('id', state('jp'));
    assert.equal(read.props?.region.content, 'LUA "W=W or {}"');
    assert.deepEqual(await provider.read('id', state('sg')), {});
  });

  it('updates in place for new content, and replaces (delete first) for another server, zone or name', async () => {
    const old = state('jp');
    const diff = (news: PowerDnsRecordsState) => provider.diff('id', old, news);
    assert.deepEqual(await diff(old), { changes: false, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual(await diff(state('jp', 'LUA "W=W or {}"')), { changes: true, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual(await diff({ ...old, ttl: 5 }), { changes: true, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual((await diff({ ...old, apiUrl: 'http://pdns:8081' })).replaces, ['apiUrl']);
    assert.deepEqual((await diff({ ...old, zone: 'plus.' })).replaces, ['zone']);
    assert.deepEqual((await diff(state('sg'))).replaces, ['region']);
  });
});
