import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GtmPolicy, RegionDef } from '../src/config/index.js';
import { dnsProvider } from './dns/index.js';
import { dnsNodes, needsAgent, planRegion as planWith } from './region-plan.js';

/** The plan with the program's own providers' traits. */
function planRegion(declarations: Parameters<typeof planWith>[0], region: string, pools: Parameters<typeof planWith>[2]): ReturnType<typeof planWith> {
  return planWith(declarations, region, pools, dnsProvider);
}

function gtm(service: string, provider: GtmPolicy['dns']['provider'], regions: string[] = ['jp']): GtmPolicy {
  return {
    service,
    domain: `${service}.example.net`,
    regions: regions.map((name) => ({ name, weight: 100, min_ready_nodes: 1, fallback: true })),
    health: { type: 'http', path: '/healthz', port: 8080, interval: 5000, timeout: 2000, rise: 2, fall: 3 },
    latency: { rtt_threshold: 300, rtt_factor: 0.7, error_rate_threshold: 0.05, error_factor: 0.5 },
    dns: { provider, zone: 'example.net', ttl: 30 },
    global: { override_hold: 1_800_000, min_change_interval: 0 },
  };
}

const aws: RegionDef = { name: 'jp', provider: 'aws', location: 'ap-northeast-1', instance_type: 't3.small', node_template: 'containerd-only', labels: {} };
const local: RegionDef = { name: 'lab', provider: 'local', node_template: 'containerd-only', labels: {} };
const declarations = {
  regions: { jp: aws, lab: local },
  gtm: { r53: gtm('r53', 'route53', ['jp', 'lab']), cf: gtm('cf', 'cloudflare'), loc: gtm('loc', 'local', ['jp', 'lab']) },
};

describe('dnsNodes', () => {
  it('keeps desired nodes that are not excluded, in order', () => {
    assert.deepEqual(dnsNodes({ weight: 1, nodes: ['a-1', 'a-2', 'a-3'], excluded: ['a-2'] }), ['a-1', 'a-3']);
  });
  it('ignores an excluded name that is not desired', () => {
    assert.deepEqual(dnsNodes({ weight: 1, nodes: ['a-1'], excluded: ['a-9'] }), ['a-1']);
  });
});

describe('planRegion', () => {
  it('builds VMs for every node and DNS for the included ones on aws + route53', () => {
    const plan = planRegion(declarations, 'jp', { r53: { weight: 100, nodes: ['jp-r53-1', 'jp-r53-2', 'jp-r53-3'], excluded: ['jp-r53-2'] } });
    assert.deepEqual(plan.notes, []);
    const [service] = plan.services;
    assert.equal(service?.machines, 'aws');
    assert.equal(service.dnsTarget, 'route53');
    assert.deepEqual(service.nodes, ['jp-r53-1', 'jp-r53-2', 'jp-r53-3']);
    assert.deepEqual(service.dnsNodes, ['jp-r53-1', 'jp-r53-3']);
    assert.equal(service.weight, 100);
    assert.ok(needsAgent(plan));
  });

  it('keeps a weight-0 region in DNS (its records are the last resort)', () => {
    const plan = planRegion(declarations, 'jp', { r53: { weight: 0, nodes: ['jp-r53-1'], excluded: [] } });
    assert.deepEqual(plan.services[0]?.dnsNodes, ['jp-r53-1']);
    assert.equal(plan.services[0].dnsTarget, 'route53');
  });

  it('notes a region whose every node is excluded', () => {
    const plan = planRegion(declarations, 'jp', { cf: { weight: 10, nodes: ['jp-cf-1'], excluded: ['jp-cf-1'] } });
    assert.deepEqual(plan.services[0]?.dnsNodes, []);
    assert.match(plan.notes[0] ?? '', /no node in DNS for region jp \(every node is excluded\); no cloudflare pool/);
  });

  it("runs a local region's nodes as local processes with local DNS", () => {
    const plan = planRegion(declarations, 'lab', { loc: { weight: 10, nodes: ['lab-loc-1', 'lab-loc-2'], excluded: ['lab-loc-2'] } });
    assert.deepEqual(plan.notes, []);
    assert.equal(plan.services[0]?.machines, 'local');
    assert.equal(plan.services[0].dnsTarget, 'local');
    assert.deepEqual(plan.services[0].dnsNodes, ['lab-loc-1']);
    assert.ok(needsAgent(plan, 'local'));
    assert.ok(!needsAgent(plan, 'aws'));
  });

  it('keeps local DNS for a region whose every node is excluded (the file then has no records)', () => {
    const plan = planRegion(declarations, 'lab', { loc: { weight: 10, nodes: ['lab-loc-1'], excluded: ['lab-loc-1'] } });
    assert.equal(plan.services[0]?.dnsTarget, 'local');
    assert.deepEqual(plan.services[0].dnsNodes, []);
    assert.deepEqual(plan.notes, []);
  });

  it('puts no loopback address in public DNS: a local region with route53 gets its nodes and a note', () => {
    const plan = planRegion(declarations, 'lab', { r53: { weight: 10, nodes: ['lab-r53-1'], excluded: [] } });
    assert.equal(plan.services[0]?.machines, 'local');
    assert.equal(plan.services[0].dnsTarget, 'none');
    assert.equal(plan.notes.length, 1);
    assert.match(plan.notes[0] ?? '', /no route53 DNS for region lab: its nodes are local processes with loopback addresses/);
  });

  it('writes local DNS for aws nodes too', () => {
    const plan = planRegion(declarations, 'jp', { loc: { weight: 10, nodes: ['jp-loc-1'], excluded: [] } });
    assert.equal(plan.services[0]?.machines, 'aws');
    assert.equal(plan.services[0].dnsTarget, 'local');
    assert.ok(needsAgent(plan));
  });

  it('notes a region the gtm policy does not list', () => {
    const other = planRegion({ ...declarations, gtm: { cf: gtm('cf', 'cloudflare', ['sg']) } }, 'jp', { cf: { weight: 10, nodes: ['jp-cf-1'], excluded: [] } });
    assert.match(other.notes[0] ?? '', /region jp is not in gtm\/cf.yaml/);
  });

  it('needs no agent when no pool has nodes', () => {
    assert.ok(!needsAgent(planRegion(declarations, 'jp', { r53: { weight: 100, nodes: [], excluded: [] } })));
  });

  it('fails on a pool without a gtm policy, and on an undeclared region', () => {
    assert.throws(
      () => planRegion(declarations, 'jp', { nope: { weight: 1, nodes: [], excluded: [] } }),
      /xplane:pools\.nope: no platform-config\/gtm\/nope\.yaml/,
    );
    assert.throws(() => planRegion(declarations, 'mars', {}), /region "mars" has no platform-config\/regions\/mars\.yaml/);
  });
});
