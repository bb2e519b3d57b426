// The behaviour every Store must show, as a reusable node:test suite. Each
// implementation's test file runs it with its own factory, so SQLite, the
// memory fake and a later Postgres store are held to the same contract.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Declarations } from '../config/types.js';
import type { DecisionRecord, NodeEvent, NodeRecord, OverrideHold, Store, SyncRecord } from './types.js';

const declarations: Declarations = {
  gtm: {},
  autoscale: {},
  regions: {
    jp: { name: 'jp', provider: 'local', node_template: 'containerd-only', labels: { tier: 'edge' } },
  },
  stacks: { jp: { region: 'jp', pools: { 'svc-plus': { weight: 100, nodes: ['jp-1'], excluded: [] } } } },
};

function node(name: string, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    name,
    service: 'svc-plus',
    region: 'jp',
    address: '10.0.0.1:8080',
    labels: { zone: 'a' },
    state: 'active',
    stateSince: 1_000,
    tokenHash: `hash-${name}`,
    registeredAt: 500,
    lastHeartbeat: 2_000,
    metrics: { cpu: 0.5, mem: 0.25, qps: 120, errorRate: 0, rttMs: 12.5 },
    ...over,
  };
}

function sync(at: number, over: Partial<SyncRecord> = {}): SyncRecord {
  return { at, commit: `c${at}`, status: 'ok', message: `sync ${at}`, issues: [], ...over };
}

function event(at: number, nodeName: string, over: Partial<NodeEvent> = {}): NodeEvent {
  return { at, node: nodeName, from: 'warm', to: 'active', cause: `cause ${at}`, ...over };
}

function decision(at: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    at,
    controller: 'autoscale',
    service: 'svc-plus',
    region: 'jp',
    kind: 'scale_up',
    summary: `autoscale: svc-plus jp 1→2 (cpu=0.82) @${at}`,
    why: { cpu: 0.82, stale: false, reason: 'cpu' },
    commit: null,
    ...over,
  };
}

function hold(over: Partial<OverrideHold> = {}): OverrideHold {
  return { service: 'svc-plus', region: 'jp', key: 'weight', commit: 'abc', author: 'ann', since: 1_000, until: 2_000, ...over };
}

// Values a caller could pass despite the types, to provoke a failed write.
function unchecked<T>(value: unknown): T {
  return value as T;
}

/** Registers the Store contract tests under `name`, each on a fresh store from `makeStore`. */
export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('config snapshots', () => {
      it('has no snapshot before one is stored', async () => {
        assert.equal(await store.getSnapshot('nope'), undefined);
        assert.equal(await store.latestSnapshot(), undefined);
      });

      it('returns a stored snapshot by commit with its declarations intact', async () => {
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 10 });
        assert.deepEqual(await store.getSnapshot('a1'), { commit: 'a1', declarations, storedAt: 10 });
      });

      it('keeps the first snapshot when the same commit is stored again', async () => {
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 10 });
        await store.putSnapshot({ commit: 'a1', declarations: { ...declarations, regions: {} }, storedAt: 99 });
        assert.deepEqual(await store.getSnapshot('a1'), { commit: 'a1', declarations, storedAt: 10 });
      });

      it('names the most recently stored snapshot as latest, even with an older storedAt', async () => {
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 20 });
        await store.putSnapshot({ commit: 'b2', declarations, storedAt: 10 });
        assert.equal((await store.latestSnapshot())?.commit, 'b2');
      });

      it('makes an old commit latest again when it is stored again (a rollback)', async () => {
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 10 });
        await store.putSnapshot({ commit: 'b2', declarations, storedAt: 20 });
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 30 });
        assert.deepEqual(await store.latestSnapshot(), { commit: 'a1', declarations, storedAt: 10 });
        await store.putSnapshot({ commit: 'b2', declarations, storedAt: 40 });
        assert.equal((await store.latestSnapshot())?.commit, 'b2');
      });

      it('keeps the latest commit latest when it is stored again', async () => {
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 10 });
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: 30 });
        assert.deepEqual(await store.latestSnapshot(), { commit: 'a1', declarations, storedAt: 10 });
      });
    });

    describe('sync records', () => {
      it('returns sync records newest first with every field', async () => {
        const issue = { file: 'platform-config/gtm/svc-plus.yaml', line: 3, col: 5, path: 'regions.jp', message: 'bad' };
        await store.recordSync(sync(1));
        await store.recordSync(sync(3, { status: 'invalid', issues: [issue] }));
        await store.recordSync(sync(2, { status: 'error', commit: null, message: 'git fetch failed' }));
        assert.deepEqual(await store.recentSyncs(10), [
          sync(3, { status: 'invalid', issues: [issue] }),
          sync(2, { status: 'error', commit: null, message: 'git fetch failed' }),
          sync(1),
        ]);
      });

      it('returns at most limit sync records', async () => {
        for (let at = 1; at <= 5; at++) await store.recordSync(sync(at));
        assert.deepEqual((await store.recentSyncs(2)).map((s) => s.at), [5, 4]);
        assert.deepEqual(await store.recentSyncs(0), []);
      });

      it('puts the later of two syncs at the same time first', async () => {
        await store.recordSync(sync(7, { message: 'first' }));
        await store.recordSync(sync(7, { message: 'second' }));
        assert.deepEqual((await store.recentSyncs(2)).map((s) => s.message), ['second', 'first']);
      });

      it('rejects a negative limit', async () => {
        await assert.rejects(store.recentSyncs(-1));
      });

      it('rejects a sync record with an unknown status', async () => {
        await assert.rejects(store.recordSync(sync(1, { status: unchecked<SyncRecord['status']>('meh') })));
        assert.deepEqual(await store.recentSyncs(10), []);
      });
    });

    describe('nodes', () => {
      it('returns an upserted node by name with every field', async () => {
        await store.upsertNodes([node('jp-1'), node('jp-2', { metrics: null, lastHeartbeat: null, labels: {} })]);
        assert.deepEqual(await store.getNode('jp-1'), node('jp-1'));
        assert.deepEqual(await store.getNode('jp-2'), node('jp-2', { metrics: null, lastHeartbeat: null, labels: {} }));
        assert.equal(await store.getNode('jp-3'), undefined);
      });

      it('replaces a node upserted again under the same name', async () => {
        await store.upsertNodes([node('jp-1')]);
        const replaced = node('jp-1', { state: 'drain', labels: { zone: 'b' }, metrics: null, address: '10.0.0.9' });
        await store.upsertNodes([replaced]);
        assert.deepEqual(await store.getNode('jp-1'), replaced);
        assert.equal((await store.listNodes()).length, 1);
      });

      it('keeps the last of two nodes with the same name in one batch', async () => {
        await store.upsertNodes([node('jp-1', { state: 'warm' }), node('jp-1', { state: 'down' })]);
        assert.equal((await store.getNode('jp-1'))?.state, 'down');
      });

      it('accepts an empty batch', async () => {
        await store.upsertNodes([]);
        assert.deepEqual(await store.listNodes(), []);
      });

      it('lists nodes ordered by name', async () => {
        await store.upsertNodes([node('c'), node('a'), node('b')]);
        assert.deepEqual((await store.listNodes()).map((n) => n.name), ['a', 'b', 'c']);
      });

      it('lists only the nodes matching every field of the filter', async () => {
        await store.upsertNodes([
          node('jp-1'),
          node('jp-2', { state: 'down' }),
          node('us-1', { region: 'us' }),
          node('other-1', { service: 'other' }),
        ]);
        const names = async (f: Parameters<Store['listNodes']>[0]) => (await store.listNodes(f)).map((n) => n.name);
        assert.deepEqual(await names({ service: 'svc-plus' }), ['jp-1', 'jp-2', 'us-1']);
        assert.deepEqual(await names({ region: 'jp' }), ['jp-1', 'jp-2', 'other-1']);
        assert.deepEqual(await names({ state: 'down' }), ['jp-2']);
        assert.deepEqual(await names({ service: 'svc-plus', region: 'jp', state: 'active' }), ['jp-1']);
        assert.deepEqual(await names({ service: 'nobody' }), []);
        assert.deepEqual(await names({}), ['jp-1', 'jp-2', 'other-1', 'us-1']);
      });

      it('stores none of a batch that holds a node with an unknown state', async () => {
        await store.upsertNodes([node('jp-1')]);
        const bad = node('jp-3', { state: unchecked<NodeRecord['state']>('gone') });
        await assert.rejects(store.upsertNodes([node('jp-1', { state: 'drain' }), node('jp-2'), bad]));
        assert.deepEqual(await store.listNodes(), [node('jp-1')]);
      });

      it('stores none of a batch that holds a node whose labels cannot be stored', async () => {
        const bad = node('jp-2', { labels: unchecked<Record<string, string>>({ big: 1n }) });
        await assert.rejects(store.upsertNodes([node('jp-1'), bad]));
        assert.deepEqual(await store.listNodes(), []);
      });
    });

    describe('node events', () => {
      it('returns events of every node newest first with every field', async () => {
        await store.appendNodeEvents([event(1, 'jp-1', { from: null, to: 'warm' }), event(3, 'jp-2'), event(2, 'jp-1')]);
        assert.deepEqual(await store.listNodeEvents({}), [
          event(3, 'jp-2'),
          event(2, 'jp-1'),
          event(1, 'jp-1', { from: null, to: 'warm' }),
        ]);
      });

      it('returns only the events of the named node, up to the limit', async () => {
        await store.appendNodeEvents([event(1, 'jp-1'), event(2, 'jp-2'), event(3, 'jp-1'), event(4, 'jp-1')]);
        assert.deepEqual((await store.listNodeEvents({ node: 'jp-1' })).map((e) => e.at), [4, 3, 1]);
        assert.deepEqual((await store.listNodeEvents({ node: 'jp-1', limit: 2 })).map((e) => e.at), [4, 3]);
        assert.deepEqual((await store.listNodeEvents({ limit: 1 })).map((e) => e.at), [4]);
      });

      it('puts the later of two events at the same time first', async () => {
        await store.appendNodeEvents([event(5, 'jp-1', { cause: 'first' })]);
        await store.appendNodeEvents([event(5, 'jp-1', { cause: 'second' })]);
        assert.deepEqual((await store.listNodeEvents({ node: 'jp-1' })).map((e) => e.cause), ['second', 'first']);
      });

      it('stores none of a batch that holds an event to an unknown state', async () => {
        const bad = event(2, 'jp-1', { to: unchecked<NodeEvent['to']>('gone') });
        await assert.rejects(store.appendNodeEvents([event(1, 'jp-1'), bad]));
        assert.deepEqual(await store.listNodeEvents({}), []);
      });
    });

    describe('decisions', () => {
      it('returns decisions newest first with every field', async () => {
        await store.appendDecisions([
          decision(1),
          decision(3, { controller: 'gtm', kind: 'weight', commit: 'deadbeef', why: { rtt: 310 } }),
          decision(2),
        ]);
        assert.deepEqual(await store.listDecisions(), [
          decision(3, { controller: 'gtm', kind: 'weight', commit: 'deadbeef', why: { rtt: 310 } }),
          decision(2),
          decision(1),
        ]);
      });

      it('returns only the decisions of the filtered service and region, up to the limit', async () => {
        await store.appendDecisions([
          decision(1),
          decision(2, { region: 'us' }),
          decision(3, { service: 'other' }),
          decision(4),
          decision(5, { service: 'other', region: 'us' }),
        ]);
        const ats = async (f: Parameters<Store['listDecisions']>[0]) => (await store.listDecisions(f)).map((d) => d.at);
        assert.deepEqual(await ats({ service: 'svc-plus' }), [4, 2, 1]);
        assert.deepEqual(await ats({ region: 'us' }), [5, 2]);
        assert.deepEqual(await ats({ service: 'svc-plus', region: 'jp' }), [4, 1]);
        assert.deepEqual(await ats({ service: 'svc-plus', limit: 2 }), [4, 2]);
        assert.deepEqual(await ats({ limit: 1 }), [5]);
      });

      it('stores none of a batch that holds a decision from an unknown controller', async () => {
        const bad = decision(2, { controller: unchecked<DecisionRecord['controller']>('human') });
        await assert.rejects(store.appendDecisions([decision(1), bad]));
        assert.deepEqual(await store.listDecisions(), []);
      });

      it('stores none of a batch that holds a decision whose reasons cannot be stored', async () => {
        const bad = decision(2, { why: unchecked<DecisionRecord['why']>({ cpu: 1n }) });
        await assert.rejects(store.appendDecisions([decision(1), bad]));
        assert.deepEqual(await store.listDecisions(), []);
      });
    });

    describe('override holds', () => {
      it('lists every hold when no time is given, ordered by service, region and key', async () => {
        await store.putHold(hold({ region: 'us' }));
        await store.putHold(hold({ key: 'nodes', until: 1_500 }));
        await store.putHold(hold());
        assert.deepEqual(await store.listHolds(), [hold({ key: 'nodes', until: 1_500 }), hold(), hold({ region: 'us' })]);
      });

      it('lists only holds that have not expired at now', async () => {
        await store.putHold(hold({ key: 'weight', until: 2_000 }));
        await store.putHold(hold({ key: 'nodes', until: 3_000 }));
        assert.deepEqual((await store.listHolds(1_999)).map((h) => h.key), ['nodes', 'weight']);
        assert.deepEqual((await store.listHolds(2_000)).map((h) => h.key), ['nodes']);
        assert.deepEqual(await store.listHolds(3_000), []);
      });

      it('replaces the hold on the same service, region and key', async () => {
        await store.putHold(hold());
        await store.putHold(hold({ commit: 'def', author: 'bob', since: 5_000, until: 9_000 }));
        assert.deepEqual(await store.listHolds(), [hold({ commit: 'def', author: 'bob', since: 5_000, until: 9_000 })]);
      });

      it('rejects a hold on an unknown key', async () => {
        await assert.rejects(store.putHold(hold({ key: unchecked<OverrideHold['key']>('labels') })));
        assert.deepEqual(await store.listHolds(), []);
      });
    });

    describe('isolation and lifecycle', () => {
      it('is not changed by mutating records passed in or handed out', async () => {
        const passed = node('jp-1');
        await store.upsertNodes([passed]);
        passed.labels['zone'] = 'changed';
        const got = await store.getNode('jp-1');
        assert.ok(got);
        got.labels['zone'] = 'changed too';
        (await store.listNodes())[0]!.state = 'down';
        assert.deepEqual(await store.getNode('jp-1'), node('jp-1'));

        const snap = { commit: 'a1', declarations: structuredClone(declarations), storedAt: 1 };
        await store.putSnapshot(snap);
        snap.declarations.regions = {};
        const latest = await store.latestSnapshot();
        assert.ok(latest);
        latest.declarations.gtm['x'] = unchecked<Declarations['gtm'][string]>({});
        assert.deepEqual((await store.getSnapshot('a1'))?.declarations, declarations);
      });

      it('rejects calls after close, and closing twice is harmless', async () => {
        await store.close();
        await assert.rejects(store.listNodes());
        await assert.rejects(store.upsertNodes([node('jp-1')]));
        await store.close();
      });
    });
  });
}
