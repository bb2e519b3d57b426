// AliDNS under Pulumi mocks: region stacks build nothing for it; the global
// stack makes each service's Alibaba Cloud GTM from the region stacks' exports
// (instance, an address pool and a monitor per region, the access strategy's
// weights, the domain's CNAME). Mocks go in before the program is imported.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { installMocks, resolveAll, setStackConfig } from './testing/pulumi-mocks.js';
import { writeFixtureRepo } from './testing/fixture-repo.js';

const stackOutputs = new Map<string, Record<string, unknown>>();
const mocks = await installMocks({ stack: 'global', stackOutputs });
const { xplaneProgram } = await import('./xplane-program.js');

const INSTANCE = 'alicloud:dns/gtmInstance:GtmInstance';
const POOL = 'alicloud:dns/addressPool:AddressPool';
const MONITOR = 'alicloud:dns/monitorConfig:MonitorConfig';
const STRATEGY = 'alicloud:dns/accessStrategy:AccessStrategy';
const RECORD = 'alicloud:dns/alidnsRecord:AlidnsRecord';
const MONITOR_NODES = [{ cityCode: '503', ispCode: '465' }];
const globalConfig = { 'xplane:role': 'global', 'xplane:alidnsMonitorNodes': MONITOR_NODES };

let root = '';
before(async () => {
  root = await writeFixtureRepo(
    [
      { name: 'hz', provider: 'aws', location: 'cn-hangzhou' },
      { name: 'sg', provider: 'aws', location: 'ap-southeast-1' },
      { name: 'jp', provider: 'aws', location: 'ap-northeast-1' },
      { name: 'lab', provider: 'local' },
    ],
    [
      {
        service: 'shop',
        provider: 'alidns',
        regions: [
          { name: 'hz', weight: 100 },
          { name: 'sg', weight: 40 },
          { name: 'jp', weight: 0 },
          { name: 'lab', weight: 5 },
        ],
      },
      { service: 'api', provider: 'route53', regions: [{ name: 'hz', weight: 100 }] },
    ],
  );
});

async function run(config: Record<string, unknown>): Promise<Record<string, unknown>> {
  mocks.reset();
  setStackConfig(config, ['xplane:bootstrapToken']);
  return (await resolveAll(await xplaneProgram({ root, env: {} })())) as Record<string, unknown>;
}

/** A region stack's export of `shop`, as region-stack.ts writes it. */
function regionExport(weight: number, nodes: [name: string, ip: string][], excluded: string[] = []) {
  return { services: { shop: { provider: 'alidns', domain: 'shop.example.net', weight, nodes: nodes.map(([name, ip]) => ({ name, ip })), excluded } } };
}

function setRegions(regions: Record<string, Record<string, unknown>>): void {
  stackOutputs.clear();
  for (const [region, outputs] of Object.entries(regions)) stackOutputs.set(`organization/xplane/${region}`, outputs);
}

describe('an AliDNS region stack', () => {
  it('builds the nodes and no DNS resource: the GTM is the global stack’s', async () => {
    const outputs = await run({
      'xplane:region': 'hz',
      'xplane:controlPlaneUrl': 'https://cp.example.net:7070',
      'xplane:bootstrapToken': 'tok',
      'xplane:pools': { shop: { weight: 100, nodes: ['hz-shop-1'] } },
    });
    assert.equal(mocks.ofType('aws:ec2/instance:Instance').length, 1);
    assert.equal(mocks.resources.filter((r) => r.type.startsWith('alicloud:')).length, 0);
    const services = outputs.services as Record<string, { provider: string; nodes: { ip?: string }[] }>;
    assert.equal(services.shop?.provider, 'alidns');
    assert.ok(services.shop.nodes[0]?.ip, 'the global stack reads the node addresses from here');
  });
});

describe('the global stack with AliDNS', () => {
  it('makes one GTM instance for the domain, with the TTL raised to what GTM accepts', async () => {
    setRegions({ hz: regionExport(100, [['hz-shop-1', '198.51.100.1']]), sg: regionExport(40, [['sg-shop-1', '198.51.100.9']]), jp: regionExport(0, []) });
    await run(globalConfig);
    const instances = mocks.ofType(INSTANCE);
    assert.equal(instances.length, 1, 'route53 services get no GTM');
    const inputs = instances[0]?.inputs ?? {};
    assert.equal(inputs.instanceName, 'xplane-shop');
    assert.equal(inputs.publicUserDomainName, 'shop.example.net');
    assert.equal(inputs.publicZoneName, 'example.net');
    assert.equal(inputs.publicCnameMode, 'CUSTOM');
    assert.equal(inputs.publicRr, 'shop-gtm');
    assert.equal(inputs.ttl, 60); // gtm ttl 30, GTM's minimum is 60
    assert.equal(inputs.paymentType, 'Subscription');
  });

  it('makes an address pool per region of its nodes not excluded, one RATIO weight each', async () => {
    setRegions({
      hz: regionExport(
        100,
        [
          ['hz-shop-1', '198.51.100.1'],
          ['hz-shop-2', '198.51.100.2'],
          ['hz-shop-3', '198.51.100.3'],
        ],
        ['hz-shop-2'],
      ),
      sg: regionExport(40, [['sg-shop-1', '198.51.100.9']]),
      jp: regionExport(0, [['jp-shop-1', '198.51.100.20']]),
    });
    await run(globalConfig);
    const pools = new Map(mocks.ofType(POOL).map((p) => [p.inputs.addressPoolName, p.inputs]));
    assert.deepEqual([...pools.keys()].sort(), ['xplane-shop-hz', 'xplane-shop-jp', 'xplane-shop-sg'], 'the local region gets no pool');
    const hz = pools.get('xplane-shop-hz');
    assert.equal(hz?.instanceId, 'shop-gtm-id');
    assert.equal(hz.lbaStrategy, 'RATIO');
    assert.equal(hz.type, 'IPV4');
    assert.deepEqual(
      (hz.addresses as { address: string; lbaWeight: number; mode: string; remark: string }[]).map((a) => [a.address, a.lbaWeight, a.mode, a.remark]),
      [
        ['198.51.100.1', 1, 'SMART', 'hz-shop-1'],
        ['198.51.100.3', 1, 'SMART', 'hz-shop-3'],
      ],
    );
  });

  it('weighs the pools by region weight in the access strategy, weight-0 regions as the failover group', async () => {
    setRegions({
      hz: regionExport(100, [['hz-shop-1', '198.51.100.1']]),
      sg: regionExport(40, [['sg-shop-1', '198.51.100.9']]),
      jp: regionExport(0, [['jp-shop-1', '198.51.100.20']]),
    });
    const outputs = await run(globalConfig);
    const [strategy] = mocks.ofType(STRATEGY);
    assert.deepEqual(strategy?.inputs, {
      instanceId: 'shop-gtm-id',
      strategyName: 'xplane-shop',
      strategyMode: 'GEO',
      lines: [{ lineCode: 'default' }],
      defaultAddrPoolType: 'IPV4',
      defaultLbaStrategy: 'RATIO',
      defaultMinAvailableAddrNum: 1,
      defaultAddrPools: [
        { addrPoolId: 'shop-hz-pool-id', lbaWeight: 100 },
        { addrPoolId: 'shop-sg-pool-id', lbaWeight: 40 },
      ],
      accessMode: 'AUTO',
      failoverAddrPoolType: 'IPV4',
      failoverLbaStrategy: 'RATIO',
      failoverMinAvailableAddrNum: 1,
      failoverAddrPools: [{ addrPoolId: 'shop-jp-pool-id', lbaWeight: 1 }],
    });
    assert.deepEqual(outputs.alidns, {
      shop: {
        domain: 'shop.example.net',
        instanceId: 'shop-gtm-id',
        accessDomain: 'shop-gtm.example.net',
        strategyId: 'shop-strategy-id',
        recordId: 'shop-cname-id',
        pools: {
          hz: { poolId: 'shop-hz-pool-id', monitorId: 'shop-hz-monitor-id', lbaWeight: 100, failover: false },
          sg: { poolId: 'shop-sg-pool-id', monitorId: 'shop-sg-monitor-id', lbaWeight: 40, failover: false },
          jp: { poolId: 'shop-jp-pool-id', monitorId: 'shop-jp-monitor-id', lbaWeight: 1, failover: true },
        },
      },
    });
  });

  it('builds a monitor per pool from the gtm health block', async () => {
    setRegions({ hz: regionExport(100, [['hz-shop-1', '198.51.100.1']]), sg: regionExport(40, [['sg-shop-1', '198.51.100.9']]), jp: regionExport(0, []) });
    await run(globalConfig);
    const monitors = mocks.ofType(MONITOR).sort((a, b) => String(a.inputs.addrPoolId).localeCompare(String(b.inputs.addrPoolId)));
    assert.deepEqual(
      monitors.map((m) => m.inputs.addrPoolId),
      ['shop-hz-pool-id', 'shop-sg-pool-id'],
    );
    assert.deepEqual(monitors[0]?.inputs, {
      addrPoolId: 'shop-hz-pool-id',
      protocolType: 'HTTP',
      interval: 60, // GTM's only interval
      timeout: 2000,
      evaluationCount: 3, // fall 3
      monitorExtendInfo: JSON.stringify({ host: 'shop.example.net', path: '/healthz', port: 8080, code: 400, failureRate: 50, sni: false, nodeType: 'IPV4' }),
      ispCityNodes: MONITOR_NODES,
    });
  });

  it('answers the domain through a CNAME to the GTM access domain', async () => {
    setRegions({ hz: regionExport(100, [['hz-shop-1', '198.51.100.1']]), sg: regionExport(40, []), jp: regionExport(0, []) });
    await run(globalConfig);
    const [record] = mocks.ofType(RECORD);
    assert.deepEqual(record?.inputs, { domainName: 'example.net', rr: 'shop', type: 'CNAME', value: 'shop-gtm.example.net', ttl: 60 });
  });

  it('makes no GTM when no region has a node in DNS', async () => {
    setRegions({ hz: regionExport(100, [['hz-shop-1', '198.51.100.1']], ['hz-shop-1']), sg: regionExport(40, []), jp: regionExport(0, []) });
    const outputs = await run(globalConfig);
    assert.equal(mocks.resources.filter((r) => r.type.startsWith('alicloud:')).length, 0);
    assert.deepEqual(outputs.alidns, {});
  });

  it('requires the monitor probe locations', async () => {
    setRegions({ hz: regionExport(100, [['hz-shop-1', '198.51.100.1']]), sg: regionExport(40, []), jp: regionExport(0, []) });
    setStackConfig({ 'xplane:role': 'global' });
    await assert.rejects(xplaneProgram({ root, env: {} })(), /shop use AliDNS: set xplane:alidnsMonitorNodes/);
  });
});
