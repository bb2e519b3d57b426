// Cloudflare under Pulumi mocks: a region stack's pool and monitor, and the
// global stack's load balancer over the region stacks' exports. Mocks go in
// before the program is imported (dynamically).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fakeIp, installMocks, resolveAll, setStackConfig } from './testing/pulumi-mocks.js';
import { writeFixtureRepo } from './testing/fixture-repo.js';

const stackOutputs = new Map<string, Record<string, unknown>>();
const mocks = await installMocks({ stack: 'jp', stackOutputs });
const { xplaneProgram } = await import('./xplane-program.js');

const MONITOR = 'cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor';
const POOL = 'cloudflare:index/loadBalancerPool:LoadBalancerPool';
const LB = 'cloudflare:index/loadBalancer:LoadBalancer';
const STACK_REF = 'pulumi:pulumi:StackReference';
const agentConfig = { 'xplane:controlPlaneUrl': 'https://cp.example.net:7070', 'xplane:bootstrapToken': 'tok' };

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
        provider: 'cloudflare',
        regions: [
          { name: 'jp', weight: 100 },
          { name: 'sg', weight: 10 },
          { name: 'lab', weight: 5 },
        ],
      },
      { service: 'api', provider: 'route53', regions: [{ name: 'jp', weight: 100 }] },
    ],
  );
});

async function run(config: Record<string, unknown>): Promise<Record<string, unknown>> {
  mocks.reset();
  setStackConfig(config, ['xplane:bootstrapToken']);
  return (await resolveAll(await xplaneProgram({ root, env: {} })())) as Record<string, unknown>;
}

const regionConfig = (pool: Record<string, unknown>) => ({
  ...agentConfig,
  'xplane:region': 'jp',
  'xplane:cloudflareAccountId': 'acc-1',
  'xplane:pools': { web: pool },
});

describe('a Cloudflare region stack', () => {
  it('makes a monitor from the gtm health block', async () => {
    await run(regionConfig({ weight: 100, nodes: ['jp-web-1'] }));
    const [monitor] = mocks.ofType(MONITOR);
    assert.deepEqual(
      { ...monitor?.inputs, description: undefined },
      {
        accountId: 'acc-1',
        description: undefined,
        type: 'http',
        port: 8080,
        method: 'GET',
        path: '/healthz',
        expectedCodes: '2xx',
        interval: 60, // gtm 5s, raised to Cloudflare's minimum
        timeout: 2,
        retries: 2, // fall 3 - 1
        header: { Host: ['web.example.net'] },
      },
    );
  });

  it('makes a pool of the nodes not excluded, checked by the monitor, and exports its id', async () => {
    const outputs = await run(regionConfig({ weight: 100, nodes: ['jp-web-1', 'jp-web-2', 'jp-web-3'], excluded: ['jp-web-2'] }));
    assert.equal(mocks.ofType('aws:ec2/instance:Instance').length, 3);
    const [pool] = mocks.ofType(POOL);
    assert.equal(pool?.inputs.name, 'xplane-web-jp');
    assert.equal(pool.inputs.accountId, 'acc-1');
    assert.equal(pool.inputs.monitor, 'web-monitor-id');
    assert.deepEqual(
      (pool.inputs.origins as { name: string; address: string }[]).map((o) => [o.name, o.address]),
      [
        ['jp-web-1', fakeIp('jp-web-1')],
        ['jp-web-3', fakeIp('jp-web-3')],
      ],
    );
    const services = outputs.services as Record<string, { poolId?: string; weight: number }>;
    assert.equal(services.web?.poolId, 'web-pool-id');
    assert.equal(services.web.weight, 100);
  });

  it('keeps a weight-0 region pool (the load balancer steers 0 to it)', async () => {
    const outputs = await run(regionConfig({ weight: 0, nodes: ['jp-web-1'] }));
    assert.equal(mocks.ofType(POOL).length, 1);
    assert.equal((outputs.services as Record<string, { poolId?: string }>).web?.poolId, 'web-pool-id');
  });

  it('makes no pool when no node is in DNS', async () => {
    const outputs = await run(regionConfig({ weight: 100, nodes: ['jp-web-1'], excluded: ['jp-web-1'] }));
    assert.equal(mocks.ofType(POOL).length, 0);
    assert.equal(mocks.ofType(MONITOR).length, 0);
    assert.equal((outputs.services as Record<string, { poolId?: string }>).web?.poolId, undefined);
  });

  it('requires the Cloudflare account id', async () => {
    mocks.reset();
    setStackConfig({ ...agentConfig, 'xplane:region': 'jp', 'xplane:pools': { web: { weight: 1, nodes: ['jp-web-1'] } } }, ['xplane:bootstrapToken']);
    await assert.rejects(xplaneProgram({ root, env: {} })(), /web uses Cloudflare DNS: set xplane:cloudflareAccountId/);
  });
});

describe('the global stack', () => {
  const globalConfig = { 'xplane:role': 'global', 'xplane:cloudflareZoneId': 'zone-1' };
  const regionExport = (weight: number, poolId?: string) => ({
    services: { web: { provider: 'cloudflare', domain: 'web.example.net', weight, nodes: [], excluded: [], ...(poolId ? { poolId } : {}) } },
  });
  const setRegions = (jp: Record<string, unknown>, sg: Record<string, unknown>): void => {
    stackOutputs.clear();
    stackOutputs.set('organization/xplane/jp', jp);
    stackOutputs.set('organization/xplane/sg', sg);
  };

  it('reads the region stacks and makes one random-steering load balancer per Cloudflare service', async () => {
    setRegions(regionExport(100, 'pool-jp'), regionExport(10, 'pool-sg'));
    const outputs = await run(globalConfig);
    assert.deepEqual(
      mocks
        .ofType(STACK_REF)
        .map((r) => r.name)
        .sort(),
      ['organization/xplane/jp', 'organization/xplane/sg'],
    );
    const lbs = mocks.ofType(LB);
    assert.equal(lbs.length, 1, 'route53 services get no load balancer');
    assert.deepEqual(lbs[0]?.inputs, {
      zoneId: 'zone-1',
      name: 'web.example.net',
      description: 'xplane web',
      proxied: false,
      ttl: 30,
      steeringPolicy: 'random',
      defaultPools: ['pool-jp', 'pool-sg'],
      fallbackPool: 'pool-jp',
      randomSteering: { poolWeights: { 'pool-jp': 1, 'pool-sg': 0.1 } },
    });
    assert.deepEqual(outputs.loadBalancers, {
      web: {
        domain: 'web.example.net',
        id: 'web-lb-id',
        pools: { jp: { poolId: 'pool-jp', weight: 1 }, sg: { poolId: 'pool-sg', weight: 0.1 } },
        fallbackPool: 'pool-jp',
      },
    });
  });

  it('keeps a weight-0 region in the load balancer with steering weight 0', async () => {
    setRegions(regionExport(100, 'pool-jp'), regionExport(0, 'pool-sg'));
    await run(globalConfig);
    const steering = mocks.ofType(LB)[0]?.inputs.randomSteering as { poolWeights: Record<string, number> };
    assert.deepEqual(steering.poolWeights, { 'pool-jp': 1, 'pool-sg': 0 });
  });

  it('leaves out a region without a pool', async () => {
    setRegions(regionExport(100, 'pool-jp'), regionExport(10));
    await run(globalConfig);
    assert.deepEqual(mocks.ofType(LB)[0]?.inputs.defaultPools, ['pool-jp']);
  });

  it('makes no load balancer when no region has a pool', async () => {
    setRegions(regionExport(100), regionExport(10));
    const outputs = await run(globalConfig);
    assert.equal(mocks.ofType(LB).length, 0);
    assert.deepEqual(outputs.loadBalancers, {});
  });

  it('requires the Cloudflare zone id', async () => {
    setStackConfig({ 'xplane:role': 'global' });
    await assert.rejects(xplaneProgram({ root, env: {} })(), /web use Cloudflare DNS: set xplane:cloudflareZoneId/);
  });
});
