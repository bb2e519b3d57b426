// The region stack under Pulumi mocks: the seed jp stack of this repo, and
// variations of its pool and gtm policy. Mocks go in before the program is
// imported (dynamically), as Pulumi's testing guide asks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { fakeIp, installMocks, resolveAll, setStackConfig, type RecordedResource } from './testing/pulumi-mocks.js';
import { REPO_ROOT, writeFixtureRepo } from './testing/fixture-repo.js';

const mocks = await installMocks({ stack: 'jp' });
const { xplaneProgram } = await import('./xplane-program.js');
const { AwsNodePool } = await import('./components/aws-node-pool.js');
const { agentBundle } = await import('./agent-bundle.js');

const TOKEN = 'boot-token-7f3a9c';
const INSTANCE = 'aws:ec2/instance:Instance';
const RECORD = 'aws:route53/record:Record';
const HEALTH = 'aws:route53/healthCheck:HealthCheck';
const agentConfig = { 'xplane:controlPlaneUrl': 'https://xplane.example.net:7070', 'xplane:bootstrapToken': TOKEN };

/** The seed stacks/Pulumi.jp.yaml config, as Pulumi would pass it. */
async function seedConfig(): Promise<Record<string, unknown>> {
  const file = parse(await readFile(join(REPO_ROOT, 'stacks/Pulumi.jp.yaml'), 'utf8')) as { config: Record<string, unknown> };
  return file.config;
}

interface StackOutputs {
  region: string;
  services: Record<
    string,
    {
      weight: number;
      nodes: { name: string; ip?: string }[];
      excluded: string[];
      records?: Record<string, string>;
      healthChecks?: Record<string, string>;
      recordWeight?: number;
    }
  >;
}

async function run(config: Record<string, unknown>, options: { root?: string; env?: Record<string, string> } = {}): Promise<StackOutputs> {
  mocks.reset();
  setStackConfig({ ...agentConfig, ...config }, ['xplane:bootstrapToken']);
  const outputs = await xplaneProgram({ root: options.root ?? REPO_ROOT, env: options.env ?? {} })();
  return (await resolveAll(outputs)) as StackOutputs;
}

const byName = (resources: RecordedResource[]): Map<string, RecordedResource> => new Map(resources.map((r) => [r.name, r]));
const recordWeight = (record: RecordedResource | undefined): unknown =>
  (record?.inputs.weightedRoutingPolicies as { weight: number }[] | undefined)?.[0]?.weight;
const pool = (weight: number, nodes: string[], excluded: string[] = []) => ({ 'xplane:pools': { 'svc-plus': { weight, nodes, excluded } } });

describe('the seed jp stack', () => {
  let outputs: StackOutputs;
  beforeEach(async () => {
    outputs = await run(await seedConfig());
  });

  it('makes one Debian 12 instance per node, tagged with service, region and node', () => {
    const instances = mocks.ofType(INSTANCE);
    assert.deepEqual(
      instances.map((i) => i.name),
      ['jp-svc-plus-1'],
    );
    const inputs = instances[0]?.inputs ?? {};
    assert.deepEqual(inputs.tags, { Name: 'jp-svc-plus-1', 'xplane:service': 'svc-plus', 'xplane:region': 'jp', 'xplane:node': 'jp-svc-plus-1' });
    assert.equal(inputs.ami, 'ami-0123');
    assert.equal(inputs.instanceType, 't3.small');
    assert.equal(inputs.region, 'ap-northeast-1');
    assert.deepEqual(inputs.metadataOptions, { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 });
  });

  it('looks up the most recent official Debian 12 amd64 AMI', () => {
    const call = mocks.calls.find((c) => c.token === 'aws:ec2/getAmi:getAmi');
    assert.deepEqual(call?.inputs.owners, ['136693071363']);
    assert.equal(call.inputs.mostRecent, true);
    assert.deepEqual(call.inputs.filters, [
      { name: 'name', values: ['debian-12-amd64-*'] },
      { name: 'architecture', values: ['x86_64'] },
    ]);
  });

  it('opens the health port in the security group', () => {
    const [group] = mocks.ofType('aws:ec2/securityGroup:SecurityGroup');
    const ingress = group?.inputs.ingress as { fromPort: number; toPort: number; protocol: string }[];
    assert.deepEqual(
      ingress.map((r) => [r.protocol, r.fromPort, r.toPort]),
      [['tcp', 8080, 8080]],
    );
    assert.equal((group?.inputs.egress as unknown[]).length, 1);
  });

  it('boots the agent with its node name, service, region and server URL, in a secret user data', () => {
    const [instance] = mocks.ofType(INSTANCE);
    assert.ok(instance?.secretInputs.includes('userData'), 'userData must reach the engine as a secret');
    const userData = String(instance?.inputs.userData);
    assert.match(userData, /--name jp-svc-plus-1/);
    assert.match(userData, /--service svc-plus --region jp/);
    assert.match(userData, /--server https:\/\/xplane\.example\.net:7070/);
    // The node fetches the agent this very package built, and checks it against its SHA-256.
    const cloudConfig = parse(userData) as { write_files: { path: string; content: string }[] };
    const fetch = cloudConfig.write_files.find((f) => f.path === '/usr/local/libexec/xplane-agent-fetch')?.content ?? '';
    assert.match(fetch, new RegExp(`^want=${agentBundle().sha256}$`, 'm'));
    assert.equal(
      agentBundle().sha256,
      createHash('sha256')
        .update(readFileSync(join(REPO_ROOT, 'dist/agent/xplane-agent.mjs')))
        .digest('hex'),
    );
  });

  it('never puts the token in clear in any other input', () => {
    for (const resource of mocks.resources) {
      for (const [key, value] of Object.entries(resource.inputs)) {
        if (resource.secretInputs.includes(key)) continue;
        assert.ok(!JSON.stringify(value ?? null).includes(TOKEN), `${resource.type} ${resource.name}.${key} holds the token in clear`);
      }
    }
  });

  it('makes a weighted, health-checked A record for the node', () => {
    const [record] = mocks.ofType(RECORD);
    assert.equal(record?.name, 'jp-svc-plus-1-a');
    assert.deepEqual(
      { ...record.inputs, weightedRoutingPolicies: undefined },
      {
        zoneId: 'Z123',
        name: 'api.svc.plus',
        type: 'A',
        ttl: 30,
        records: [fakeIp('jp-svc-plus-1')],
        setIdentifier: 'jp-svc-plus-1',
        healthCheckId: 'jp-svc-plus-1-health-id',
        weightedRoutingPolicies: undefined,
      },
    );
    assert.equal(recordWeight(record), 100);
    const zone = mocks.calls.find((c) => c.token === 'aws:route53/getZone:getZone');
    assert.deepEqual(zone?.inputs, { name: 'svc.plus', privateZone: false });
  });

  it('builds the health check from the gtm health block', () => {
    const [check] = mocks.ofType(HEALTH);
    assert.equal(check?.inputs.type, 'HTTP');
    assert.equal(check.inputs.ipAddress, fakeIp('jp-svc-plus-1'));
    assert.equal(check.inputs.port, 8080);
    assert.equal(check.inputs.resourcePath, '/healthz');
    assert.equal(check.inputs.requestInterval, 10); // gtm interval 5s
    assert.equal(check.inputs.failureThreshold, 3); // gtm fall 3
  });

  it('exports weight, nodes with their IPs, excluded and record ids', () => {
    assert.equal(outputs.region, 'jp');
    assert.deepEqual(outputs.services['svc-plus'], {
      provider: 'route53',
      domain: 'api.svc.plus',
      weight: 100,
      nodes: [{ name: 'jp-svc-plus-1', ip: fakeIp('jp-svc-plus-1') }],
      excluded: [],
      records: { 'jp-svc-plus-1': 'jp-svc-plus-1-a-id' },
      healthChecks: { 'jp-svc-plus-1': 'jp-svc-plus-1-health-id' },
      recordWeight: 100,
    });
  });
});

describe('a 3-node jp pool with one node excluded', () => {
  it('makes all three instances but records and health checks only for the included two', async () => {
    const outputs = await run({ ...(await seedConfig()), ...pool(100, ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3'], ['jp-svc-plus-2']) });
    assert.deepEqual(
      mocks.ofType(INSTANCE).map((i) => i.name),
      ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3'],
    );
    const records = byName(mocks.ofType(RECORD));
    assert.deepEqual([...records.keys()], ['jp-svc-plus-1-a', 'jp-svc-plus-3-a']);
    assert.deepEqual(
      mocks.ofType(HEALTH).map((h) => h.name),
      ['jp-svc-plus-1-health', 'jp-svc-plus-3-health'],
    );
    // 100 over the 2 included nodes
    assert.equal(recordWeight(records.get('jp-svc-plus-1-a')), 50);
    assert.deepEqual(outputs.services['svc-plus']?.excluded, ['jp-svc-plus-2']);
    assert.equal(outputs.services['svc-plus'].nodes.length, 3);
  });
});

describe('splitting the region weight across records', () => {
  const three = ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3'];
  const cases: [weight: number, nodes: string[], expected: number][] = [
    [100, three, 33],
    [10, three, 3],
    [1, three, 1],
    [0, three, 0],
    [1000, ['jp-svc-plus-1', 'jp-svc-plus-2'], 255],
  ];
  for (const [weight, nodes, expected] of cases) {
    it(`gives each of ${nodes.length} records ${expected} for region weight ${weight}`, async () => {
      await run({ 'xplane:region': 'jp', ...pool(weight, nodes) });
      const records = mocks.ofType(RECORD);
      assert.equal(records.length, nodes.length, 'a weight-0 region keeps its records as the last resort');
      for (const record of records) assert.equal(recordWeight(record), expected);
    });
  }

  it('makes no records when every node is excluded', async () => {
    const outputs = await run({ 'xplane:region': 'jp', ...pool(100, ['jp-svc-plus-1'], ['jp-svc-plus-1']) });
    assert.equal(mocks.ofType(INSTANCE).length, 1);
    assert.equal(mocks.ofType(RECORD).length, 0);
    assert.equal(outputs.services['svc-plus']?.records, undefined);
  });
});

describe('health checks from other gtm health blocks', () => {
  it('uses TCP, the nearest Route 53 interval and fall', async () => {
    const root = await writeFixtureRepo(
      [{ name: 'jp', provider: 'aws' }],
      [{ service: 'svc', provider: 'route53', regions: [{ name: 'jp', weight: 100 }], health: { type: 'tcp', interval: '20s', fall: 5 } }],
    );
    await run({ 'xplane:region': 'jp', 'xplane:pools': { svc: { weight: 100, nodes: ['jp-svc-1'] } } }, { root });
    const [check] = mocks.ofType(HEALTH);
    assert.equal(check?.inputs.type, 'TCP');
    assert.equal(check.inputs.resourcePath, undefined);
    assert.equal(check.inputs.requestInterval, 30);
    assert.equal(check.inputs.failureThreshold, 5);
  });
});

describe('service ports', () => {
  it('opens xplane:servicePorts besides the health port', async () => {
    await run({ ...(await seedConfig()), 'xplane:servicePorts': { 'svc-plus': [443, 8080] } });
    const [group] = mocks.ofType('aws:ec2/securityGroup:SecurityGroup');
    assert.deepEqual(
      (group?.inputs.ingress as { fromPort: number }[]).map((r) => r.fromPort),
      [443, 8080],
    );
  });
});

describe('the bootstrap token', () => {
  it('comes from XPLANE_BOOTSTRAP_TOKEN at converge time before the stack secret, and stays secret', async () => {
    await run(await seedConfig(), { env: { XPLANE_BOOTSTRAP_TOKEN: 'env-token-123' } });
    const [instance] = mocks.ofType(INSTANCE);
    assert.ok(instance?.secretInputs.includes('userData'));
    assert.match(String(instance?.inputs.userData), /env-token-123/);
  });

  it('makes the user data a secret even when given in clear to the component', async () => {
    mocks.reset();
    const nodes = new AwsNodePool('direct', {
      service: 'svc-plus',
      region: 'jp',
      location: 'ap-northeast-1',
      instanceType: 't3.small',
      ami: 'ami-0123',
      nodes: ['jp-svc-plus-9'],
      healthPort: 8080,
      controlPlaneUrl: 'https://cp:7070',
      bootstrapToken: 'plain-token',
      agentSha256: 'a'.repeat(64),
    });
    const userData = nodes.userData['jp-svc-plus-9'];
    assert.ok(userData);
    assert.equal(await pulumi.isSecret(userData), true);
  });
});

describe('configuration mistakes', () => {
  it('requires the control-plane URL and token when the region has aws nodes', async () => {
    mocks.reset();
    setStackConfig(await seedConfig());
    await assert.rejects(xplaneProgram({ root: REPO_ROOT, env: {} })(), (err: Error) => {
      assert.ok(err instanceof pulumi.RunError);
      assert.match(err.message, /region jp has aws nodes, which need:/);
      assert.match(err.message, /xplane:controlPlaneUrl/);
      assert.match(err.message, /XPLANE_BOOTSTRAP_TOKEN/);
      return true;
    });
  });

  it('needs none of them for a region without nodes', async () => {
    mocks.reset();
    setStackConfig({ 'xplane:region': 'jp', ...pool(0, []) });
    const outputs = (await resolveAll(await xplaneProgram({ root: REPO_ROOT, env: {} })())) as StackOutputs;
    assert.deepEqual(outputs.services['svc-plus']?.nodes, []);
    assert.equal(mocks.resources.filter((r) => r.type.startsWith('aws:')).length, 0);
  });

  it('requires xplane:region for a region stack', async () => {
    setStackConfig({});
    await assert.rejects(xplaneProgram({ root: REPO_ROOT, env: {} })(), /xplane:region is not set/);
  });

  it('rejects a pool the declaration rules reject', async () => {
    setStackConfig({ ...agentConfig, 'xplane:region': 'jp', ...pool(1, ['node-1']) });
    await assert.rejects(xplaneProgram({ root: REPO_ROOT, env: {} })(), /xplane:pools\.svc-plus\.nodes\[0\]: expected a node name like jp-svc-plus-<n>/);
  });
});

describe('the entry module (program/index.ts)', () => {
  it('has only a default export, since the Pulumi runtime rejects a default export next to named ones', async () => {
    const entry = await import('./index.js');
    assert.deepEqual(Object.keys(entry), ['default']);
    assert.equal(typeof entry.default, 'function');
  });

  it('runs the repo in the working directory, as the Pulumi CLI does', async () => {
    mocks.reset();
    setStackConfig({ ...agentConfig, ...(await seedConfig()) }, ['xplane:bootstrapToken']);
    const entry = await import('./index.js');
    const outputs = (await resolveAll(await entry.default())) as StackOutputs;
    assert.equal(process.cwd(), REPO_ROOT.replace(/\/$/, ''));
    assert.deepEqual(
      outputs.services['svc-plus']?.nodes.map((n) => n.name),
      ['jp-svc-plus-1'],
    );
  });
});
