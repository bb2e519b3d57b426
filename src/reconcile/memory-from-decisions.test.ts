import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AutoscaleKind, Decision, GtmKind } from '../decision/index.js';
import type { DecisionRecord } from '../store/index.js';
import { memoryFromDecisions } from './memory-from-decisions.js';
import { emptyMemory, rememberChanges } from './memory.js';

const T = 1_700_000_000_000;

function rec(at: number, controller: DecisionRecord['controller'], kind: string, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return { at, controller, service: 'svc', region: 'jp', kind, summary: `${controller}: svc jp ${kind}`, why: {}, commit: 'c0ffee', ...over };
}

/** The restored timers as plain objects, for deepEqual. */
function timers(decisions: DecisionRecord[], now?: number): { lastScale: Record<string, number>; lastWeight: Record<string, number> } {
  const m = memoryFromDecisions(decisions, now);
  return { lastScale: Object.fromEntries(m.lastScale), lastWeight: Object.fromEntries(m.lastWeight) };
}

describe('memoryFromDecisions', () => {
  const cases: { name: string; decisions: DecisionRecord[]; now?: number; lastScale?: Record<string, number>; lastWeight?: Record<string, number> }[] = [
    { name: 'restores nothing from an empty log', decisions: [] },
    { name: 'a scale up starts the cooldown', decisions: [rec(T, 'autoscale', 'scale_up')], lastScale: { 'svc/jp': T } },
    { name: 'a scale down starts the cooldown', decisions: [rec(T, 'autoscale', 'scale_down')], lastScale: { 'svc/jp': T } },
    { name: 'removals and replacements do not start a cooldown', decisions: [rec(T, 'autoscale', 'remove'), rec(T, 'autoscale', 'replace')] },
    { name: 'a weight change starts min_change_interval', decisions: [rec(T, 'gtm', 'weight')], lastWeight: { 'svc/jp': T } },
    { name: 'a created pool starts min_change_interval (it sets the weight)', decisions: [rec(T, 'gtm', 'create_pool')], lastWeight: { 'svc/jp': T } },
    { name: 'exclude, include and forget do not', decisions: [rec(T, 'gtm', 'exclude'), rec(T, 'gtm', 'include'), rec(T, 'gtm', 'forget')] },
    {
      name: 'a decision that never landed (no commit) does not count',
      decisions: [rec(T, 'autoscale', 'scale_up', { commit: null }), rec(T, 'gtm', 'weight', { commit: null })],
    },
    {
      name: 'the newest committed decision wins, newest first',
      decisions: [
        rec(T + 3, 'autoscale', 'scale_up', { commit: null }),
        rec(T + 2, 'autoscale', 'remove'),
        rec(T + 1, 'autoscale', 'scale_down'),
        rec(T, 'autoscale', 'scale_up'),
      ],
      lastScale: { 'svc/jp': T + 1 },
    },
    {
      name: 'the newest wins in any order',
      decisions: [rec(T, 'gtm', 'weight'), rec(T + 5, 'gtm', 'weight'), rec(T + 2, 'gtm', 'weight')],
      lastWeight: { 'svc/jp': T + 5 },
    },
    {
      name: 'keeps each service and region apart, and the two timers apart',
      decisions: [
        rec(T + 4, 'gtm', 'weight', { region: 'sg' }),
        rec(T + 3, 'autoscale', 'scale_up', { service: 'other' }),
        rec(T + 2, 'autoscale', 'scale_up', { region: 'sg' }),
        rec(T + 1, 'gtm', 'weight'),
        rec(T, 'autoscale', 'scale_up'),
      ],
      lastScale: { 'svc/jp': T, 'svc/sg': T + 2, 'other/jp': T + 3 },
      lastWeight: { 'svc/jp': T + 1, 'svc/sg': T + 4 },
    },
    {
      name: 'a time after now (the old leader’s clock ran ahead) counts as now',
      decisions: [rec(T + 60_000, 'autoscale', 'scale_up')],
      now: T,
      lastScale: { 'svc/jp': T },
    },
    { name: 'a time before now is kept as it is', decisions: [rec(T - 60_000, 'gtm', 'weight')], now: T, lastWeight: { 'svc/jp': T - 60_000 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(timers(c.decisions, c.now), { lastScale: c.lastScale ?? {}, lastWeight: c.lastWeight ?? {} });
    });
  }

  it('leaves firstSeen, scaleDownSince, the panic baseline and freezes empty', () => {
    const m = memoryFromDecisions([rec(T, 'autoscale', 'scale_up'), rec(T, 'gtm', 'weight')], T);
    assert.deepEqual([m.firstSeen.size, m.scaleDownSince.size, m.down.size, m.frozen.size], [0, 0, 0, 0]);
  });

  it('gives the same times as rememberChanges for the records of the same landed pass', () => {
    // One pass of every kind, patches as the controllers build them: a forget or exclude after a
    // weight decision carries the new weight in its cumulative patch.
    const scale = (region: string, kind: AutoscaleKind, patch: Decision['patch']): Decision => ({
      controller: 'autoscale',
      service: 'svc',
      region,
      kind,
      summary: kind,
      why: {},
      patch,
    });
    const gtm = (region: string, kind: GtmKind, patch: Decision['patch']): Decision => ({
      controller: 'gtm',
      service: 'svc',
      region,
      kind,
      summary: kind,
      why: {},
      patch,
    });
    const pass: Decision[] = [
      scale('jp', 'scale_up', { nodes: ['a', 'b'], excluded: ['b'] }),
      scale('sg', 'replace', { nodes: ['c'], excluded: ['c'] }),
      scale('us', 'remove', { nodes: [], excluded: [] }),
      scale('eu', 'scale_down', { nodes: ['e'], excluded: ['e'] }),
      gtm('jp', 'weight', { weight: 50 }),
      gtm('jp', 'exclude', { weight: 50, excluded: ['b'] }),
      gtm('sg', 'include', { excluded: [] }),
      gtm('us', 'forget', { excluded: [] }),
      gtm('eu', 'weight', { weight: 5 }),
      gtm('eu', 'forget', { weight: 5, excluded: [] }),
      gtm('au', 'create_pool', { weight: 10, nodes: [], excluded: [] }),
    ];
    const remembered = rememberChanges(emptyMemory(), pass, T);
    const restored = memoryFromDecisions(
      pass.map((x) => ({
        at: T,
        controller: x.controller,
        service: x.service,
        region: x.region,
        kind: x.kind,
        summary: x.summary,
        why: x.why,
        commit: 'c0ffee',
      })),
      T,
    );
    assert.deepEqual(restored.lastScale, remembered.lastScale);
    assert.deepEqual(restored.lastWeight, remembered.lastWeight);
    assert.deepEqual([...restored.lastScale.keys()].sort(), ['svc/eu', 'svc/jp']);
    assert.deepEqual([...restored.lastWeight.keys()].sort(), ['svc/au', 'svc/eu', 'svc/jp']);
  });
});
