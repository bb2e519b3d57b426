// The behaviour every Store must show, as a reusable node:test suite. Each
// implementation's test file runs it with its own factory, so SQLite, the
// memory fake and Postgres are held to the same contract. Lease expiry is
// tested with short TTLs and real waits: the lease clock is the store's own
// (Postgres reads the server's), so it cannot be faked from here.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Declarations } from '../config/index.js';
import type { DecisionRecord, HistoryRow, Lease, NodeEvent, NodeRecord, OverrideHold, Store, SyncRecord } from './types.js';

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

function historyRow(at: number, over: Partial<HistoryRow> = {}): HistoryRow {
  return {
    at,
    service: 'svc-plus',
    region: 'jp',
    cpuDemand: 1.25,
    active: 2,
    warm: 1,
    drain: 0,
    down: 1,
    unknown: 0,
    weight: 100,
    qps: 240.5,
    errorRate: 0.012,
    rttMs: 41.5,
    ...over,
  };
}

function hold(over: Partial<OverrideHold> = {}): OverrideHold {
  return { service: 'svc-plus', region: 'jp', key: 'weight', commit: 'abc', author: 'ann', since: 1_000, until: 2_000, ...over };
}

// Values a caller could pass despite the types, to provoke a failed write: `never` fits any field.
function unchecked(value: unknown): never {
  return value as never;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a store implementation can offer the contract beyond a fresh store. */
export interface StoreContractOptions {
  /**
   * Opens another store on the same database as the most recent `makeStore`, as a second
   * replica would. Omitted where a database cannot be shared (the memory fake, `:memory:`).
   */
  openSibling?: () => Promise<Store>;
}

// A lease long enough not to lapse during a test, and one short enough to wait out.
// Tests that use the short one never assert that it is still held: a slow
// machine may stall past it.
const LONG_TTL = 60_000;
const SHORT_TTL = 100;
const PAST_SHORT_TTL = 250;
// The lease clock is the store's; a Postgres server's clock may differ a little from ours.
const CLOCK_SLACK = 5_000;

function assertExpiresAround(lease: Lease, from: number, to: number, ttl: number): void {
  assert.ok(
    lease.expiresAt >= from + ttl - CLOCK_SLACK && lease.expiresAt <= to + ttl + CLOCK_SLACK,
    `expiresAt ${lease.expiresAt} should be about ${ttl} ms after ${from}..${to}`,
  );
}

/** Registers the Store contract tests under `name`, each on a fresh store from `makeStore`. */
export function runStoreContract(name: string, makeStore: () => Promise<Store>, options: StoreContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const siblings: Store[] = [];
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await Promise.all(siblings.splice(0).map((s) => s.close()));
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
        assert.deepEqual(
          (await store.recentSyncs(2)).map((s) => s.at),
          [5, 4],
        );
        assert.deepEqual(await store.recentSyncs(0), []);
      });

      it('puts the later of two syncs at the same time first', async () => {
        await store.recordSync(sync(7, { message: 'first' }));
        await store.recordSync(sync(7, { message: 'second' }));
        assert.deepEqual(
          (await store.recentSyncs(2)).map((s) => s.message),
          ['second', 'first'],
        );
      });

      it('rejects a negative limit', async () => {
        await assert.rejects(store.recentSyncs(-1));
      });

      it('rejects a sync record with an unknown status', async () => {
        await assert.rejects(store.recordSync(sync(1, { status: unchecked('meh') })));
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
        assert.deepEqual(
          (await store.listNodes()).map((n) => n.name),
          ['a', 'b', 'c'],
        );
      });

      it('lists only the nodes matching every field of the filter', async () => {
        await store.upsertNodes([node('jp-1'), node('jp-2', { state: 'down' }), node('us-1', { region: 'us' }), node('other-1', { service: 'other' })]);
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
        const bad = node('jp-3', { state: unchecked('gone') });
        await assert.rejects(store.upsertNodes([node('jp-1', { state: 'drain' }), node('jp-2'), bad]));
        assert.deepEqual(await store.listNodes(), [node('jp-1')]);
      });

      it('stores none of a batch that holds a node whose labels cannot be stored', async () => {
        const bad = node('jp-2', { labels: unchecked({ big: 1n }) });
        await assert.rejects(store.upsertNodes([node('jp-1'), bad]));
        assert.deepEqual(await store.listNodes(), []);
      });
    });

    describe('node events', () => {
      it('returns events of every node newest first with every field', async () => {
        await store.appendNodeEvents([event(1, 'jp-1', { from: null, to: 'warm' }), event(3, 'jp-2'), event(2, 'jp-1')]);
        assert.deepEqual(await store.listNodeEvents({}), [event(3, 'jp-2'), event(2, 'jp-1'), event(1, 'jp-1', { from: null, to: 'warm' })]);
      });

      it('returns only the events of the named node, up to the limit', async () => {
        await store.appendNodeEvents([event(1, 'jp-1'), event(2, 'jp-2'), event(3, 'jp-1'), event(4, 'jp-1')]);
        assert.deepEqual(
          (await store.listNodeEvents({ node: 'jp-1' })).map((e) => e.at),
          [4, 3, 1],
        );
        assert.deepEqual(
          (await store.listNodeEvents({ node: 'jp-1', limit: 2 })).map((e) => e.at),
          [4, 3],
        );
        assert.deepEqual(
          (await store.listNodeEvents({ limit: 1 })).map((e) => e.at),
          [4],
        );
      });

      it('puts the later of two events at the same time first', async () => {
        await store.appendNodeEvents([event(5, 'jp-1', { cause: 'first' })]);
        await store.appendNodeEvents([event(5, 'jp-1', { cause: 'second' })]);
        assert.deepEqual(
          (await store.listNodeEvents({ node: 'jp-1' })).map((e) => e.cause),
          ['second', 'first'],
        );
      });

      it('stores none of a batch that holds an event to an unknown state', async () => {
        const bad = event(2, 'jp-1', { to: unchecked('gone') });
        await assert.rejects(store.appendNodeEvents([event(1, 'jp-1'), bad]));
        assert.deepEqual(await store.listNodeEvents({}), []);
      });
    });

    describe('decisions', () => {
      it('returns decisions newest first with every field', async () => {
        await store.appendDecisions([decision(1), decision(3, { controller: 'gtm', kind: 'weight', commit: 'deadbeef', why: { rtt: 310 } }), decision(2)]);
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

      it('pages decisions by time: since is inclusive, before exclusive, both with the filters and the limit', async () => {
        await store.appendDecisions([decision(10), decision(20), decision(20, { region: 'us' }), decision(30), decision(40, { service: 'other' })]);
        const ats = async (f: Parameters<Store['listDecisions']>[0]) => (await store.listDecisions(f)).map((d) => d.at);
        assert.deepEqual(await ats({ since: 20 }), [40, 30, 20, 20]);
        assert.deepEqual(await ats({ before: 30 }), [20, 20, 10]);
        assert.deepEqual(await ats({ since: 20, before: 40 }), [30, 20, 20]);
        assert.deepEqual(await ats({ service: 'svc-plus', region: 'jp', since: 15, before: 40 }), [30, 20]);
        assert.deepEqual(await ats({ before: 40, limit: 2 }), [30, 20]);
        assert.deepEqual(await ats({ since: 41 }), []);
        assert.deepEqual(await ats({ since: 29.5, before: 30.5 }), [30], 'a fractional bound counts as the time it is');
        await assert.rejects(store.listDecisions({ since: Number.NaN }));
      });

      it('stores none of a batch that holds a decision from an unknown controller', async () => {
        const bad = decision(2, { controller: unchecked('human') });
        await assert.rejects(store.appendDecisions([decision(1), bad]));
        assert.deepEqual(await store.listDecisions(), []);
      });

      it('stores none of a batch that holds a decision whose reasons cannot be stored', async () => {
        const bad = decision(2, { why: unchecked({ cpu: 1n }) });
        await assert.rejects(store.appendDecisions([decision(1), bad]));
        assert.deepEqual(await store.listDecisions(), []);
      });
    });

    describe('metrics history', () => {
      it('returns rows oldest first with every field, nulls kept', async () => {
        const stale = historyRow(3, { region: 'sg', cpuDemand: null, qps: null, errorRate: null, rttMs: null, weight: null, active: 0 });
        await store.appendHistory([historyRow(2), stale]);
        await store.appendHistory([historyRow(1, { cpuDemand: 0, qps: 0 })]);
        assert.deepEqual(await store.listHistory(), [historyRow(1, { cpuDemand: 0, qps: 0 }), historyRow(2), stale]);
      });

      it('keeps rows of one time in the order they were appended', async () => {
        await store.appendHistory([historyRow(5, { region: 'sg' }), historyRow(5, { region: 'jp' }), historyRow(5, { region: 'us' })]);
        assert.deepEqual(
          (await store.listHistory()).map((h) => h.region),
          ['sg', 'jp', 'us'],
        );
      });

      it('filters by service and by time, since inclusive and until exclusive, up to the limit', async () => {
        await store.appendHistory([historyRow(10), historyRow(20, { service: 'other' }), historyRow(30), historyRow(40)]);
        const ats = async (f: Parameters<Store['listHistory']>[0]) => (await store.listHistory(f)).map((h) => h.at);
        assert.deepEqual(await ats({ service: 'svc-plus' }), [10, 30, 40]);
        assert.deepEqual(await ats({ since: 20 }), [20, 30, 40]);
        assert.deepEqual(await ats({ until: 30 }), [10, 20]);
        assert.deepEqual(await ats({ since: 20, until: 40, service: 'svc-plus' }), [30]);
        assert.deepEqual(await ats({ limit: 2 }), [10, 20]);
      });

      it('prunes rows older than the retention, then the oldest beyond the row bound', async () => {
        await store.appendHistory([1, 2, 3, 4, 5, 6].map((at) => historyRow(at)));
        assert.equal(await store.pruneHistory({ before: 3, maxRows: 1_000 }), 2);
        assert.deepEqual(
          (await store.listHistory()).map((h) => h.at),
          [3, 4, 5, 6],
        );
        assert.equal(await store.pruneHistory({ before: 0, maxRows: 3 }), 1);
        assert.deepEqual(
          (await store.listHistory()).map((h) => h.at),
          [4, 5, 6],
        );
        assert.equal(await store.pruneHistory({ before: 0, maxRows: 3 }), 0);
        assert.equal(await store.pruneHistory({ before: 100, maxRows: 3 }), 3);
        assert.deepEqual(await store.listHistory(), []);
      });

      it('stores none of a batch that holds a row with a negative count, a fraction of a node or a figure that is not finite', async () => {
        for (const bad of [
          historyRow(2, { down: -1 }),
          historyRow(2, { active: 1.5 }),
          historyRow(2, { cpuDemand: Number.NaN }),
          historyRow(2, { rttMs: Number.POSITIVE_INFINITY }),
          historyRow(2, { region: '' }),
        ]) {
          await assert.rejects(store.appendHistory([historyRow(1), bad]), (err: { code?: string }) => err.code === 'XP_ERR_STORE_INVALID_RECORD');
        }
        assert.deepEqual(await store.listHistory(), []);
      });

      it('accepts an empty batch and refuses a negative row bound', async () => {
        await store.appendHistory([]);
        assert.deepEqual(await store.listHistory(), []);
        await assert.rejects(store.pruneHistory({ before: 0, maxRows: -1 }), (err: { code?: string }) => err.code === 'XP_ERR_STORE_INVALID_RECORD');
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
        assert.deepEqual(
          (await store.listHolds(1_999)).map((h) => h.key),
          ['nodes', 'weight'],
        );
        assert.deepEqual(
          (await store.listHolds(2_000)).map((h) => h.key),
          ['nodes'],
        );
        assert.deepEqual(await store.listHolds(3_000), []);
      });

      it('replaces the hold on the same service, region and key', async () => {
        await store.putHold(hold());
        await store.putHold(hold({ commit: 'def', author: 'bob', since: 5_000, until: 9_000 }));
        assert.deepEqual(await store.listHolds(), [hold({ commit: 'def', author: 'bob', since: 5_000, until: 9_000 })]);
      });

      it('rejects a hold on an unknown key', async () => {
        await assert.rejects(store.putHold(hold({ key: unchecked('labels') })));
        assert.deepEqual(await store.listHolds(), []);
      });
    });

    describe('leadership lease', () => {
      it('has no lease before one is taken', async () => {
        assert.equal(await store.currentLease('controller'), undefined);
      });

      it('gives the lease to one of two contending holders, with token 1, and shows the loser the winner', async () => {
        const before = Date.now();
        const [a, b] = await Promise.all([
          store.acquireLease('controller', 'replica-a', 'http://10.0.0.5:7070', LONG_TTL),
          store.acquireLease('controller', 'replica-b', 'http://10.0.0.6:7070', LONG_TTL),
        ]);
        const after = Date.now();
        assert.deepEqual(a, b);
        assert.ok(a.holder === 'replica-a' || a.holder === 'replica-b');
        assert.equal(a.name, 'controller');
        assert.equal(a.address, a.holder === 'replica-a' ? 'http://10.0.0.5:7070' : 'http://10.0.0.6:7070');
        assert.equal(a.token, 1);
        assertExpiresAround(a, before, after, LONG_TTL);
        assert.deepEqual(await store.currentLease('controller'), a);
      });

      it('renews for its holder, keeping the token, and refuses the renewal of another holder', async () => {
        const taken = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL / 2);
        assert.equal((await store.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL)).holder, 'a');
        assert.equal(await store.renewLease('controller', 'b', taken.token, LONG_TTL), false);
        const before = Date.now();
        assert.equal(await store.renewLease('controller', 'a', taken.token, LONG_TTL), true);
        const after = Date.now();
        const renewed = await store.currentLease('controller');
        assert.ok(renewed);
        assert.deepEqual({ ...renewed, expiresAt: 0 }, { ...taken, expiresAt: 0 });
        assertExpiresAround(renewed, before, after, LONG_TTL);
        assert.ok(renewed.expiresAt > taken.expiresAt);
      });

      it('refuses a renewal with a stale token or under another name', async () => {
        const taken = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL);
        assert.equal(await store.renewLease('controller', 'a', taken.token + 1, LONG_TTL), false);
        assert.equal(await store.renewLease('other', 'a', taken.token, LONG_TTL), false);
        assert.equal(await store.currentLease('other'), undefined);
      });

      it('treats acquiring a lease it holds as a renewal: same token, new address and expiry', async () => {
        const first = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL / 2);
        const again = await store.acquireLease('controller', 'a', 'http://a2:7070', LONG_TTL);
        assert.equal(again.token, first.token);
        assert.equal(again.address, 'http://a2:7070');
        assert.ok(again.expiresAt > first.expiresAt);
      });

      it('lets another holder take an expired lease, with token + 1', async () => {
        const first = await store.acquireLease('controller', 'a', 'http://a:7070', SHORT_TTL);
        await sleep(PAST_SHORT_TTL);
        const taken = await store.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL);
        assert.deepEqual({ ...taken, expiresAt: 0 }, { name: 'controller', holder: 'b', address: 'http://b:7070', token: first.token + 1, expiresAt: 0 });
        assert.equal(await store.renewLease('controller', 'a', first.token, LONG_TTL), false);
      });

      it('refuses to renew an expired lease even when nobody took it, and gives its holder a new token on re-acquiring', async () => {
        const first = await store.acquireLease('controller', 'a', 'http://a:7070', SHORT_TTL);
        await sleep(PAST_SHORT_TTL);
        assert.equal(await store.renewLease('controller', 'a', first.token, LONG_TTL), false);
        assert.equal((await store.currentLease('controller'))?.token, first.token);
        const again = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL);
        assert.equal(again.holder, 'a');
        assert.equal(again.token, first.token + 1);
      });

      it('hands the lease over at once on release, and the next holder gets token + 1', async () => {
        const first = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL);
        await store.releaseLease('controller', 'a', first.token);
        const released = await store.currentLease('controller');
        assert.equal(released?.holder, 'a');
        assert.equal(released.token, first.token);
        assert.ok(released.expiresAt <= Date.now() + CLOCK_SLACK);
        assert.equal(await store.renewLease('controller', 'a', first.token, LONG_TTL), false);
        const next = await store.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL);
        assert.equal(next.holder, 'b');
        assert.equal(next.token, first.token + 1);
      });

      it('ignores a release by a holder that does not hold the lease, or with a stale token', async () => {
        const first = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL);
        await store.releaseLease('controller', 'b', first.token);
        await store.releaseLease('controller', 'a', first.token + 1);
        await store.releaseLease('nobody', 'a', first.token);
        assert.deepEqual(await store.currentLease('controller'), first);
        assert.equal((await store.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL)).holder, 'a');
        assert.equal(await store.currentLease('nobody'), undefined);
      });

      it('keeps leases of different names apart', async () => {
        const controller = await store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL);
        const other = await store.acquireLease('other', 'b', 'http://b:7070', LONG_TTL);
        assert.equal(controller.holder, 'a');
        assert.equal(other.holder, 'b');
        assert.equal(other.token, 1);
      });

      it('keeps the token growing over many hand-overs', async () => {
        let token = 0;
        for (let i = 0; i < 5; i++) {
          const holder = i % 2 === 0 ? 'a' : 'b';
          const lease = await store.acquireLease('controller', holder, `http://${holder}:7070`, LONG_TTL);
          assert.equal(lease.holder, holder);
          assert.equal(lease.token, token + 1);
          token = lease.token;
          await store.releaseLease('controller', holder, token);
        }
      });

      it('writes nodes and node events fenced by a lease only while the writer holds it, and otherwise nothing of them', async () => {
        const a = await store.acquireLease('controller', 'a', 'http://a:7070', SHORT_TTL);
        const fenceA = { lease: 'controller', holder: 'a', token: a.token };
        await store.upsertNodes([node('jp-1', { state: 'active' })], fenceA);
        await store.appendNodeEvents([event(1, 'jp-1')], fenceA);
        assert.equal((await store.getNode('jp-1'))?.state, 'active');
        // a pauses past its lease; b takes over and changes the node.
        await sleep(PAST_SHORT_TTL);
        const b = await store.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL);
        await store.upsertNodes([node('jp-1', { state: 'down' })], { lease: 'controller', holder: 'b', token: b.token });
        // a wakes up and writes what it had: refused, nothing written.
        const fenced =
          (holder: string, lease = 'controller') =>
          (err: unknown): boolean => {
            assert.equal((err as { code?: string }).code, 'XP_ERR_STORE_FENCED');
            assert.match((err as Error).message, /writing nodes|appending node events/);
            assert.match((err as Error).message, new RegExp(`${holder} no longer holds lease ${lease} with token ${a.token}`));
            return true;
          };
        await assert.rejects(store.upsertNodes([node('jp-1', { state: 'active' }), node('jp-2')], fenceA), fenced('a'));
        await assert.rejects(store.appendNodeEvents([event(2, 'jp-1'), event(3, 'jp-2')], fenceA), fenced('a'));
        // The right holder with a stale token, and a lease nobody took, are refused too.
        await assert.rejects(store.upsertNodes([node('jp-2')], { lease: 'controller', holder: 'b', token: a.token }), fenced('b'));
        await assert.rejects(store.upsertNodes([node('jp-2')], { lease: 'nobody', holder: 'b', token: a.token }), fenced('b', 'nobody'));
        assert.equal((await store.getNode('jp-1'))?.state, 'down');
        assert.equal(await store.getNode('jp-2'), undefined);
        assert.deepEqual(
          (await store.listNodeEvents({})).map((e) => e.at),
          [1],
        );
        // Writing nothing is no write, and is not refused; unfenced writes are unaffected.
        await store.upsertNodes([], fenceA);
        await store.appendNodeEvents([], fenceA);
        await store.upsertNodes([node('jp-2')]);
        assert.equal((await store.getNode('jp-2'))?.name, 'jp-2');
      });

      it('rejects a TTL that is not a positive whole number of ms, and an empty name or holder', async () => {
        for (const ttl of [0, -5, 1.5, Number.NaN]) {
          await assert.rejects(store.acquireLease('controller', 'a', 'http://a:7070', ttl), String(ttl));
          await assert.rejects(store.renewLease('controller', 'a', 1, ttl), String(ttl));
        }
        await assert.rejects(store.acquireLease('', 'a', 'http://a:7070', LONG_TTL));
        await assert.rejects(store.acquireLease('controller', '', 'http://a:7070', LONG_TTL));
        assert.equal(await store.currentLease('controller'), undefined);
      });
    });

    describe('values that must survive the round trip', () => {
      it('keeps epoch ms beyond 32 bits exactly, up to the largest safe integer', async () => {
        const t = Date.UTC(2100, 0, 1, 0, 0, 0, 123);
        const big = node('jp-1', { stateSince: t, registeredAt: t - 1, lastHeartbeat: Number.MAX_SAFE_INTEGER });
        await store.upsertNodes([big]);
        assert.deepEqual(await store.getNode('jp-1'), big);
        await store.recordSync(sync(t));
        assert.equal((await store.recentSyncs(1))[0]?.at, t);
        await store.appendNodeEvents([event(t, 'jp-1')]);
        assert.equal((await store.listNodeEvents({}))[0]?.at, t);
        await store.appendDecisions([decision(t)]);
        assert.equal((await store.listDecisions())[0]?.at, t);
        await store.putHold(hold({ since: t, until: Number.MAX_SAFE_INTEGER }));
        assert.deepEqual(await store.listHolds(t + 1), [hold({ since: t, until: Number.MAX_SAFE_INTEGER })]);
        await store.putSnapshot({ commit: 'a1', declarations, storedAt: t });
        assert.equal((await store.latestSnapshot())?.storedAt, t);
        assert.equal(typeof (await store.getNode('jp-1'))?.stateSince, 'number');
      });

      it('keeps unicode, quotes and backslashes in names, labels, messages and reasons', async () => {
        const labels = { zone: '東京-1', キー: 'é', rocket: '🚀', quoted: 'say "hi" \\ \'ok\'', empty: '' };
        const n = node('ノード-1', { labels, address: '[2001:db8::1]:8080' });
        await store.upsertNodes([n]);
        assert.deepEqual(await store.getNode('ノード-1'), n);
        assert.deepEqual(await store.listNodes({ region: 'jp' }), [n]);
        await store.recordSync(sync(1, { message: 'Ünïcödé → 変更 🚀' }));
        assert.equal((await store.recentSyncs(1))[0]?.message, 'Ünïcödé → 変更 🚀');
        await store.appendDecisions([decision(1, { why: { reason: 'température élevée 🔥', cpu: 0.1 + 0.2 } })]);
        assert.deepEqual((await store.listDecisions())[0]?.why, { reason: 'température élevée 🔥', cpu: 0.1 + 0.2 });
      });

      it('keeps floating-point metrics exactly', async () => {
        const metrics = { cpu: 0.1 + 0.2, mem: 1 / 3, qps: 1e-7, errorRate: 0, rttMs: 123456.789 };
        await store.upsertNodes([node('jp-1', { metrics })]);
        assert.deepEqual((await store.getNode('jp-1'))?.metrics, metrics);
      });

      it('keeps the key order of stored declarations', async () => {
        const ordered: Declarations = {
          ...declarations,
          regions: {
            us: { name: 'us', provider: 'local', node_template: 'containerd-only', labels: {} },
            jp: { name: 'jp', provider: 'local', node_template: 'containerd-only', labels: {} },
            'ap-southeast': { name: 'ap-southeast', provider: 'local', node_template: 'containerd-only', labels: {} },
          },
        };
        await store.putSnapshot({ commit: 'a1', declarations: ordered, storedAt: 1 });
        assert.deepEqual(Object.keys((await store.latestSnapshot())?.declarations.regions ?? {}), ['us', 'jp', 'ap-southeast']);
      });
    });

    const { openSibling } = options;
    if (openSibling)
      describe('two stores on one database', () => {
        const sibling = async (): Promise<Store> => {
          const opened = await openSibling();
          siblings.push(opened);
          return opened;
        };
        it('agree on one lease holder when both contend', async () => {
          const other = await sibling();
          const [a, b] = await Promise.all([
            store.acquireLease('controller', 'a', 'http://a:7070', LONG_TTL),
            other.acquireLease('controller', 'b', 'http://b:7070', LONG_TTL),
          ]);
          assert.deepEqual(a, b);
          assert.equal(a.token, 1);
          const loser = a.holder === 'a' ? 'b' : 'a';
          const loserStore = a.holder === 'a' ? other : store;
          assert.equal(await loserStore.renewLease('controller', loser, a.token, LONG_TTL), false);
          await (a.holder === 'a' ? store : other).releaseLease('controller', a.holder, a.token);
          const next = await loserStore.acquireLease('controller', loser, `http://${loser}:7070`, LONG_TTL);
          assert.equal(next.holder, loser);
          assert.equal(next.token, 2);
        });

        it('apply every concurrent upsert, each batch whole', async () => {
          const other = await sibling();
          const batch = (prefix: string, i: number) =>
            Array.from({ length: 20 }, (_, j) => node(`${prefix}-${i}-${String(j).padStart(2, '0')}`, { lastHeartbeat: i }));
          const writes: Promise<void>[] = [];
          for (let i = 0; i < 5; i++) {
            writes.push(store.upsertNodes(batch('a', i)));
            writes.push(other.upsertNodes(batch('b', i)));
            // Both write the same nodes too: one batch or the other wins, never a mix of fields.
            writes.push(store.upsertNodes([node('shared-1', { address: 'from-a', state: 'warm' })]));
            writes.push(other.upsertNodes([node('shared-1', { address: 'from-b', state: 'drain' })]));
          }
          await Promise.all(writes);
          const listed = await store.listNodes();
          assert.equal(listed.length, 5 * 20 * 2 + 1);
          assert.deepEqual(await other.listNodes(), listed);
          const sharedNode = await store.getNode('shared-1');
          assert.ok((sharedNode?.address === 'from-a' && sharedNode.state === 'warm') || (sharedNode?.address === 'from-b' && sharedNode.state === 'drain'));
          await Promise.all([
            store.appendNodeEvents([event(1, 'a'), event(2, 'a')]),
            other.appendNodeEvents([event(3, 'b'), event(4, 'b')]),
            store.appendDecisions([decision(1)]),
            other.appendDecisions([decision(2)]),
          ]);
          assert.equal((await other.listNodeEvents({})).length, 4);
          assert.equal((await store.listDecisions()).length, 2);
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
        const [listed] = await store.listNodes();
        assert.ok(listed);
        listed.state = 'down';
        assert.deepEqual(await store.getNode('jp-1'), node('jp-1'));

        const snap = { commit: 'a1', declarations: structuredClone(declarations), storedAt: 1 };
        await store.putSnapshot(snap);
        snap.declarations.regions = {};
        const latest = await store.latestSnapshot();
        assert.ok(latest);
        latest.declarations.gtm['x'] = unchecked({});
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
