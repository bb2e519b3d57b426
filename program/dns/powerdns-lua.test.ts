import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthCheck } from '../../src/config/index.js';
import { answerRecordContent, checkTimeoutSeconds, luaString, nodeWeights, regionRecordContent, regionRecordName, regionRecordSuffix } from './powerdns-lua.js';
import { relativeName } from './names.js';

const http: HealthCheck = { type: 'http', path: '/healthz', port: 8080, interval: 5000, timeout: 2000, rise: 2, fall: 3 };

describe('PowerDNS record names', () => {
  it('puts each region record under _xplane of the domain, absolute', () => {
    assert.equal(regionRecordName('api.svc.plus', 'jp'), 'jp._xplane.api.svc.plus.');
    assert.equal(regionRecordName('api.svc.plus.', 'sg'), 'sg._xplane.api.svc.plus.');
    assert.equal(regionRecordSuffix('api.svc.plus'), '._xplane.api.svc.plus.');
  });

  it('names a record relative to its zone for include(), and refuses one outside it', () => {
    assert.equal(relativeName('jp._xplane.api.svc.plus.', 'svc.plus'), 'jp._xplane.api');
    assert.equal(relativeName('jp._xplane.svc.plus.', 'svc.plus.'), 'jp._xplane');
    assert.equal(relativeName('svc.plus', 'svc.plus'), '');
    assert.throws(() => relativeName('api.other.net', 'svc.plus'), /api\.other\.net is not inside the zone svc\.plus \(gtm dns\.zone\)/);
  });
});

describe('nodeWeights', () => {
  const cases: [regionWeight: number, nodes: number, expected: number][] = [
    [100, 1, 100_000],
    [100, 2, 50_000],
    [100, 3, 33_333],
    [10, 3, 3_333],
    [1, 3, 333],
    [0, 3, 0],
    [5, 0, 0],
    [1e9, 1, 2 ** 31 - 1],
  ];
  for (const [weight, nodes, expected] of cases) {
    it(`gives each of ${nodes} nodes ${expected} for region weight ${weight}`, () => assert.equal(nodeWeights(weight, nodes), expected));
  }
  it('keeps a tiny weight above 0 (0 means last resort)', () => assert.equal(nodeWeights(1, 5000), 1));
});

describe('regionRecordContent', () => {
  it("adds the region's nodes to W with their split weight, as a LUA LUA record", () => {
    assert.equal(
      regionRecordContent(100, [{ ip: '127.1.1.1' }, { ip: '127.1.1.2' }]),
      `LUA "W['127.1.1.1']=(W['127.1.1.1'] or 0)+50000 W['127.1.1.2']=(W['127.1.1.2'] or 0)+50000"`,
    );
  });
  it('keeps a record for a region with no node in DNS', () => {
    assert.equal(regionRecordContent(100, []), 'LUA "W=W or {}"');
  });
});

describe('answerRecordContent', () => {
  it('includes every gtm region, checks the candidates with ifurlup and picks one by weight', () => {
    assert.equal(
      answerRecordContent({ domain: 'api.svc.plus', zone: 'svc.plus', regions: ['jp', 'sg'], health: http }),
      `A ";W={} include('jp._xplane.api') include('sg._xplane.api') local c={} for ip in pairs(W) do c[#c+1]=ip end if #c==0 then return {} end ` +
        `local up=ifurlup('http://api.svc.plus:8080/healthz',{c},{selector='all',backupSelector='all',timeout=2,minimumFailures=3}) ` +
        'local p={} for _,ip in ipairs(up) do local w=W[ip] or 0 if w>0 then p[#p+1]={w,ip} end end if #p==0 then return pickrandom(up) end return pickwrandom(p)"',
    );
  });

  it('checks a tcp health block with ifportup on its port', () => {
    const content = answerRecordContent({
      domain: 'api.svc.plus',
      zone: 'svc.plus',
      regions: ['jp'],
      health: { ...http, type: 'tcp', port: 9000, timeout: 500 },
    });
    assert.match(content, /local up=ifportup\(9000,c,\{selector='all',backupSelector='all',timeout=1,minimumFailures=3\}\)/);
    assert.doesNotMatch(content, /ifurlup/);
  });

  it('escapes what would end the Lua string or the record', () => {
    const content = answerRecordContent({ domain: 'api.svc.plus', zone: 'svc.plus', regions: ['jp'], health: { ...http, path: `/a'b"c\\d` } });
    // Lua decimal escapes, with their backslash escaped once more for the record's quoted string.
    assert.ok(content.includes(`'http://api.svc.plus:8080/a\\\\039b\\\\034c\\\\092d'`), content);
  });
});

describe('luaString', () => {
  it('keeps names and addresses as they are and escapes the rest', () => {
    assert.equal(luaString('127.1.1.1'), `'127.1.1.1'`);
    assert.equal(luaString("it's"), `'it\\039s'`);
    assert.equal(luaString('é'), `'\\195\\169'`);
  });
});

describe('checkTimeoutSeconds', () => {
  it('rounds the gtm timeout up to whole seconds, at least 1', () => {
    assert.deepEqual([checkTimeoutSeconds(10), checkTimeoutSeconds(1000), checkTimeoutSeconds(2500)], [1, 1, 3]);
  });
});
