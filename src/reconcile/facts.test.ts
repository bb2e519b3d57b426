import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Declarations } from '../config/index.js';
import type { NodeObservation } from '../decision/index.js';
import { seedDeclarations } from '../testing/index.js';
import { gatherFacts, type FleetSource } from './facts.js';
import { emptyMemory } from './memory.js';

const NOW = 1_700_000_000_000;

/** A registry stand-in that knows `registered` and records what it is asked. */
function source(registered: string[]): FleetSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    observation: (name, now, addedAt) => {
      asked.push(`observation ${name} ${now} ${addedAt}`);
      return registered.includes(name)
        ? ({ name, state: 'active', stateSince: 0, addedAt, loaded: false, cpu: 0.5, rttMs: null, errorRate: null } satisfies NodeObservation)
        : undefined;
    },
    regionMetrics: (service, region, now) => {
      asked.push(`regionMetrics ${service} ${region} ${now}`);
      return 'stale';
    },
    highestOrdinal: (region, service) => {
      asked.push(`highestOrdinal ${region} ${service}`);
      return region === 'jp' ? 7 : 0;
    },
  };
}

describe('gatherFacts', () => {
  let declarations: Declarations;
  before(async () => {
    declarations = await seedDeclarations();
  });

  it('asks the registry once for each name of a declared pool, each declared region’s metrics and each autoscaled region’s highest number', () => {
    const s = source(['jp-svc-plus-1']);
    const memory = { ...emptyMemory(), firstSeen: new Map([['jp-svc-plus-1', NOW - 5_000]]) };
    const pools = {
      jp: { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-1'], excluded: [] } },
      sg: { 'svc-plus': { weight: 10, nodes: [], excluded: [] }, undeclared: { weight: 1, nodes: ['sg-undeclared-1'], excluded: [] } },
    };
    const facts = gatherFacts(s, { now: NOW, declarations, pools, memory });
    assert.deepEqual(s.asked, [
      `observation jp-svc-plus-1 ${NOW} ${NOW - 5_000}`,
      `observation jp-svc-plus-2 ${NOW} ${NOW}`,
      `regionMetrics svc-plus jp ${NOW}`,
      `regionMetrics svc-plus sg ${NOW}`,
      'highestOrdinal jp svc-plus',
      'highestOrdinal sg svc-plus',
    ]);
    assert.deepEqual([...facts.nodes.keys()], ['jp-svc-plus-1'], 'a name never registered is left out: the pass sees it as unknown');
    assert.equal(facts.nodes.get('jp-svc-plus-1')?.addedAt, NOW - 5_000, 'addedAt is the memory’s first-seen time');
    assert.deepEqual(Object.fromEntries(facts.metrics), { 'svc-plus/jp': 'stale', 'svc-plus/sg': 'stale' });
    assert.deepEqual(Object.fromEntries(facts.highestOrdinal), { 'svc-plus/jp': 7, 'svc-plus/sg': 0 });
  });
});
