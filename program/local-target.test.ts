// The `local` target under Pulumi mocks: LocalNode processes per node name on
// their loopback addresses, and the LocalDnsRecords file of each service.
// Mocks go in before the program is imported (dynamically), as Pulumi's testing
// guide asks. The real engine runs it in test/local-target-engine.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { LOCAL_DNS_TYPE, LOCAL_NODE_TYPE, fakePid, installMocks, resolveAll, setStackConfig } from './testing/pulumi-mocks.js';
import { writeFixtureRepo } from './testing/fixture-repo.js';

const mocks = await installMocks({ stack: 'lab' });
const { xplaneProgram } = await import('./xplane-program.js');
const { NODE_PROVIDER, XPLANE_ROOT } = await import('./components/local-node.js');
const { DNS_PROVIDER } = await import('./components/local-dns-records.js');

const TOKEN = 'local-boot-token-51c2';

interface Outputs {
  services: Record<string, { nodes: { name: string; ip?: string; address?: string; pid?: number }[]; excluded: string[]; recordFile?: string }>;
}

interface RecordInput {
  node: string;
  ip: string;
  weight: number;
}

let root: string;
before(async () => {
  // Regions sort jp, lab (lab = 2); services api, svc (svc = 2): lab's svc nodes are 127.2.2.<n>.
  root = await writeFixtureRepo(
    [
      { name: 'lab', provider: 'local' },
      { name: 'jp', provider: 'aws' },
    ],
    [
      { service: 'svc', provider: 'local', regions: [{ name: 'lab', weight: 100 }] },
      { service: 'api', provider: 'route53', regions: [{ name: 'lab', weight: 100 }] },
    ],
  );
});

async function run(config: Record<string, unknown>, options: { env?: Record<string, string>; secret?: boolean } = {}): Promise<Outputs> {
  mocks.reset();
  setStackConfig({ 'xplane:region': 'lab', ...config }, options.secret === false ? [] : ['xplane:bootstrapToken']);
  const outputs = await xplaneProgram({ root, env: options.env ?? {} })();
  return (await resolveAll(outputs)) as Outputs;
}

const pool = (weight: number, nodes: string[], excluded: string[] = []) => ({ 'xplane:pools': { svc: { weight, nodes, excluded } } });
const withToken = { 'xplane:bootstrapToken': TOKEN };
const records = (): RecordInput[] => (mocks.ofType(LOCAL_DNS_TYPE)[0]?.inputs.records ?? []) as RecordInput[];

describe('local nodes', () => {
  it('makes one LocalNode per name on its own loopback address and the gtm health port', async () => {
    const outputs = await run({ ...withToken, ...pool(100, ['lab-svc-1', 'lab-svc-2', 'lab-svc-7'], ['lab-svc-2']) });
    const nodes = mocks.ofType(LOCAL_NODE_TYPE);
    assert.deepEqual(
      nodes.map((n) => [n.name, n.inputs.address]),
      [
        ['lab-svc-1', '127.2.2.1:8080'],
        ['lab-svc-2', '127.2.2.2:8080'],
        ['lab-svc-7', '127.2.2.7:8080'],
      ],
      'excluded nodes run too: they only stay out of DNS',
    );
    const [first] = nodes;
    assert.equal(first?.inputs.name, 'lab-svc-1');
    assert.equal(first.inputs.service, 'svc');
    assert.equal(first.inputs.region, 'lab');
    assert.equal(first.inputs.implementation, NODE_PROVIDER);
    assert.equal(first.inputs.xplaneRoot, XPLANE_ROOT);
    assert.equal(typeof first.inputs.__provider, 'string', 'the serialized delegating provider');
    assert.deepEqual(outputs.services.svc?.nodes[0], { name: 'lab-svc-1', ip: '127.2.2.1', address: '127.2.2.1:8080', pid: fakePid('lab-svc-1') });
  });

  it('passes the token as a secret input and nowhere in clear', async () => {
    await run({ ...withToken, ...pool(100, ['lab-svc-1']) });
    const [node] = mocks.ofType(LOCAL_NODE_TYPE);
    assert.ok(node?.secretInputs.includes('token'), 'token must reach the engine as a secret');
    assert.equal(node?.inputs.token, TOKEN);
    for (const resource of mocks.resources) {
      for (const [key, value] of Object.entries(resource.inputs)) {
        if (resource.secretInputs.includes(key)) continue;
        assert.ok(!JSON.stringify(value ?? null).includes(TOKEN), `${resource.type} ${resource.name}.${key} holds the token in clear`);
      }
    }
  });

  it('keeps the token secret when it comes in clear from XPLANE_BOOTSTRAP_TOKEN', async () => {
    await run(pool(100, ['lab-svc-1']), { env: { XPLANE_BOOTSTRAP_TOKEN: 'env-token-9' } });
    const [node] = mocks.ofType(LOCAL_NODE_TYPE);
    assert.ok(node?.secretInputs.includes('token'));
    assert.equal(node?.inputs.token, 'env-token-9');
  });

  it('registers with http://127.0.0.1:7070 unless xplane:controlPlaneUrl says otherwise', async () => {
    await run({ ...withToken, ...pool(100, ['lab-svc-1']) });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE)[0]?.inputs.server, 'http://127.0.0.1:7070');
    await run({ ...withToken, 'xplane:controlPlaneUrl': 'http://127.0.0.1:9999', ...pool(100, ['lab-svc-1']) });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE)[0]?.inputs.server, 'http://127.0.0.1:9999');
  });

  it('keeps its state in <repo>/.xplane/local, or xplane:localStateDir resolved against the repo', async () => {
    await run({ ...withToken, ...pool(100, ['lab-svc-1']) });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE)[0]?.inputs.stateDir, join(root, '.xplane/local'));
    assert.equal(mocks.ofType(LOCAL_DNS_TYPE)[0]?.inputs.stateDir, join(root, '.xplane/local'));
    await run({ ...withToken, 'xplane:localStateDir': 'play/state', ...pool(100, ['lab-svc-1']) });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE)[0]?.inputs.stateDir, join(root, 'play/state'));
  });

  it('needs the bootstrap token when the region has nodes, and nothing without nodes', async () => {
    mocks.reset();
    setStackConfig({ 'xplane:region': 'lab', ...pool(100, ['lab-svc-1']) });
    await assert.rejects(xplaneProgram({ root, env: {} })(), (err: Error) => {
      assert.ok(err instanceof pulumi.RunError);
      assert.match(err.message, /region lab has local nodes, which need the bootstrap token/);
      return true;
    });
    await run(pool(100, []), { secret: false });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE).length, 0);
  });

  it('refuses a node number without a loopback address, naming the node', async () => {
    mocks.reset();
    setStackConfig({ 'xplane:region': 'lab', ...withToken, ...pool(100, ['lab-svc-300']) }, ['xplane:bootstrapToken']);
    await assert.rejects(xplaneProgram({ root, env: {} })(), /local node "lab-svc-300": its number 300 is outside 1\.\.254/);
  });

  it('makes no public DNS for local nodes of a route53 service', async () => {
    await run({ ...withToken, 'xplane:pools': { api: { weight: 100, nodes: ['lab-api-1'], excluded: [] } } });
    assert.deepEqual(
      mocks.ofType(LOCAL_NODE_TYPE).map((n) => n.inputs.address),
      ['127.2.1.1:8080'],
    );
    assert.equal(mocks.resources.filter((r) => r.type.startsWith('aws:')).length, 0);
    assert.equal(mocks.ofType(LOCAL_DNS_TYPE).length, 0);
  });
});

describe('local DNS records', () => {
  it('writes one record file for the region with the nodes not excluded', async () => {
    const outputs = await run({ ...withToken, ...pool(100, ['lab-svc-1', 'lab-svc-2', 'lab-svc-3'], ['lab-svc-2']) });
    const files = mocks.ofType(LOCAL_DNS_TYPE);
    assert.equal(files.length, 1);
    const inputs = files[0]?.inputs ?? {};
    assert.equal(files[0]?.name, 'svc-dns');
    assert.equal(inputs.implementation, DNS_PROVIDER);
    assert.equal(inputs.domain, 'svc.example.net');
    assert.equal(inputs.zone, 'example.net');
    assert.equal(inputs.region, 'lab');
    assert.equal(inputs.ttl, 30);
    assert.deepEqual(records(), [
      { node: 'lab-svc-1', ip: '127.2.2.1', weight: 50 },
      { node: 'lab-svc-3', ip: '127.2.2.3', weight: 50 },
    ]);
    assert.equal(outputs.services.svc?.recordFile, join(root, '.xplane/local/dns/svc.example.net/lab.json'));
  });

  const three = ['lab-svc-1', 'lab-svc-2', 'lab-svc-3'];
  const cases: [weight: number, nodes: string[], expected: number][] = [
    [100, three, 33],
    [10, three, 3],
    [1, three, 1],
    [0, three, 0],
    [1000, ['lab-svc-1', 'lab-svc-2'], 255],
  ];
  for (const [weight, nodes, expected] of cases) {
    it(`splits region weight ${weight} over ${nodes.length} records as Route 53 does: ${expected} each`, async () => {
      await run({ ...withToken, ...pool(weight, nodes) });
      assert.equal(records().length, nodes.length);
      for (const record of records()) assert.equal(record.weight, expected);
    });
  }

  it('keeps the file, with no records, when every node is excluded', async () => {
    await run({ ...withToken, ...pool(100, ['lab-svc-1'], ['lab-svc-1']) });
    assert.equal(mocks.ofType(LOCAL_NODE_TYPE).length, 1);
    assert.equal(mocks.ofType(LOCAL_DNS_TYPE).length, 1);
    assert.deepEqual(records(), []);
  });
});
