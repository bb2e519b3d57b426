// PowerDNS under Pulumi mocks: what a region stack asks the PowerDNS records
// provider to write (the real writes are test/powerdns-engine.test.ts, against
// a real pdns_server). Mocks go in before the program is imported.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fakeIp, installMocks, POWERDNS_RECORDS_TYPE, resolveAll, setStackConfig, type RecordedResource } from './testing/pulumi-mocks.js';
import { writeFixtureRepo } from './testing/fixture-repo.js';

const mocks = await installMocks({ stack: 'jp' });
const { xplaneProgram } = await import('./xplane-program.js');
const { POWERDNS_PROVIDER } = await import('./components/powerdns-records.js');

const agentConfig = { 'xplane:controlPlaneUrl': 'https://cp.example.net:7070', 'xplane:bootstrapToken': 'tok' };
const KEY_ENV = { XPLANE_POWERDNS_API_KEY: 'env-key-51' };

let root = '';
before(async () => {
  root = await writeFixtureRepo(
    [
      { name: 'jp', provider: 'aws', location: 'ap-northeast-1' },
      { name: 'sg', provider: 'aws', location: 'ap-southeast-1' },
      { name: 'lab', provider: 'local' },
    ],
    [
      {
        service: 'web',
        provider: 'powerdns',
        regions: [
          { name: 'jp', weight: 100 },
          { name: 'sg', weight: 10 },
          { name: 'lab', weight: 5 },
        ],
      },
    ],
  );
});

interface Outputs {
  services: Record<string, { provider: string; powerdnsRecords?: string[]; nodes: { name: string }[] }>;
}

async function run(config: Record<string, unknown>, env: Record<string, string> = KEY_ENV, secrets: string[] = []): Promise<Outputs> {
  mocks.reset();
  setStackConfig({ ...agentConfig, ...config }, ['xplane:bootstrapToken', ...secrets]);
  return (await resolveAll(await xplaneProgram({ root, env })())) as Outputs;
}

const records = (): RecordedResource => {
  const all = mocks.ofType(POWERDNS_RECORDS_TYPE);
  assert.equal(all.length, 1);
  return all[0] as RecordedResource;
};

describe('a PowerDNS region stack', () => {
  it('writes its region record with its nodes not excluded, and the answer record over every gtm region', async () => {
    const outputs = await run({
      'xplane:region': 'jp',
      'xplane:pools': { web: { weight: 100, nodes: ['jp-web-1', 'jp-web-2', 'jp-web-3'], excluded: ['jp-web-2'] } },
    });
    const { inputs } = records();
    assert.equal(inputs.implementation, POWERDNS_PROVIDER);
    assert.equal(inputs.apiUrl, 'http://127.0.0.1:8081');
    assert.equal(inputs.serverId, 'localhost');
    assert.equal(inputs.zone, 'example.net.');
    assert.equal(inputs.ttl, 30);
    assert.deepEqual(inputs.region, {
      name: 'jp._xplane.web.example.net.',
      content: `LUA "W['${fakeIp('jp-web-1')}']=(W['${fakeIp('jp-web-1')}'] or 0)+50000 W['${fakeIp('jp-web-3')}']=(W['${fakeIp('jp-web-3')}'] or 0)+50000"`,
    });
    const answer = inputs.answer as { name: string; content: string };
    assert.equal(answer.name, 'web.example.net.');
    assert.match(answer.content, /^A ";W=\{\} include\('jp\._xplane\.web'\) include\('sg\._xplane\.web'\) include\('lab\._xplane\.web'\) /);
    assert.match(
      answer.content,
      /ifurlup\('http:\/\/web\.example\.net:8080\/healthz',\{c\},\{selector='all',backupSelector='all',timeout=2,minimumFailures=3\}\)/,
    );
    assert.equal(inputs.regionSuffix, '._xplane.web.example.net.');
    assert.deepEqual(outputs.services.web?.powerdnsRecords, ['jp._xplane.web.example.net.', 'web.example.net.']);
  });

  it('keeps the API key secret, from XPLANE_POWERDNS_API_KEY before the stack secret', async () => {
    await run({ 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } }, 'xplane:powerdnsApiKey': 'stack-key' }, KEY_ENV, [
      'xplane:powerdnsApiKey',
    ]);
    assert.equal(records().inputs.apiKey, 'env-key-51');
    assert.ok(records().secretInputs.includes('apiKey'));
    await run({ 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } }, 'xplane:powerdnsApiKey': 'stack-key' }, {}, [
      'xplane:powerdnsApiKey',
    ]);
    assert.equal(records().inputs.apiKey, 'stack-key');
    assert.ok(records().secretInputs.includes('apiKey'));
  });

  it('reads the key from XPLANE_POWERDNS_API_KEY_FILE', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = `${root}/pdns-key`;
    await writeFile(file, 'file-key-7\n');
    await run({ 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } } }, { XPLANE_POWERDNS_API_KEY_FILE: file });
    assert.equal(records().inputs.apiKey, 'file-key-7');
  });

  it('takes the API URL and server id from the stack config', async () => {
    await run({
      'xplane:region': 'jp',
      'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } },
      'xplane:powerdnsApiUrl': 'http://pdns.internal:8081',
      'xplane:powerdnsServerId': 'pdns-a',
    });
    assert.equal(records().inputs.apiUrl, 'http://pdns.internal:8081');
    assert.equal(records().inputs.serverId, 'pdns-a');
  });

  it('keeps the region record when every node is excluded: the region then adds no address', async () => {
    await run({ 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 100, nodes: ['jp-web-1'], excluded: ['jp-web-1'] } } });
    assert.equal((records().inputs.region as { content: string }).content, 'LUA "W=W or {}"');
  });

  it('answers with the loopback addresses of a local region', async () => {
    await run({ 'xplane:region': 'lab', 'xplane:pools': { web: { weight: 5, nodes: ['lab-web-1'] } } });
    const content = (records().inputs.region as { content: string }).content;
    // 127.R.S.N: lab is the second region in name order, web the first service, node 1.
    assert.match(content, /W\['127\.2\.1\.1'\]/);
  });

  it('names the settings of the API key when there is none', async () => {
    mocks.reset();
    setStackConfig({ ...agentConfig, 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } } }, ['xplane:bootstrapToken']);
    await assert.rejects(
      xplaneProgram({ root, env: {} })(),
      /web uses PowerDNS, whose API needs its key: set XPLANE_POWERDNS_API_KEY \(or XPLANE_POWERDNS_API_KEY_FILE\) at converge time, or the secret xplane:powerdnsApiKey/,
    );
  });
});
