// The leader term with recording fakes: what starts, in which order, and what
// stops, in the reverse one; the inline converger is made once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InlineConverger } from '../converge/index.js';
import type { SyncOutcome } from '../gitops/index.js';
import { silentLogger } from '../log/index.js';
import { LeaderTerm } from './leader-term.js';

function setup(opts: { inline?: boolean; dns?: boolean; converge?: () => Promise<unknown> } = {}) {
  const calls: string[] = [];
  const state = { leads: true, stopping: false };
  const outcomeHandlers: ((o: SyncOutcome) => void)[] = [];
  const note = (what: string) => (): Promise<void> => {
    calls.push(what);
    return Promise.resolve();
  };
  const converger = {
    convergeAll: (): Promise<unknown> => {
      calls.push('inline.convergeAll');
      return opts.converge?.() ?? Promise.resolve([]);
    },
    start: () => void calls.push('inline.start'),
    stop: note('inline.stop'),
    trigger: () => void calls.push('inline.trigger'),
  };
  const term = new LeaderTerm({
    replica: {
      leads: () => state.leads,
      get stopping() {
        return state.stopping;
      },
      enterTerm: (token) => void calls.push(`enterTerm ${token}`),
      leaveTerm: () => void calls.push('leaveTerm'),
    },
    inForce: { refresh: note('inForce.refresh') },
    registry: { reset: note('registry.reset'), load: note('registry.load'), start: () => void calls.push('registry.start'), stop: note('registry.stop') },
    downView: { start: () => void calls.push('downView.start'), stop: note('downView.stop') },
    dnsRunning: opts.dns ?? true,
    prober: { start: () => void calls.push('prober.start'), stop: note('prober.stop') },
    sync: {
      start: (ms) => void calls.push(`sync.start ${ms}`),
      stop: note('sync.stop'),
      onOutcome: (handler) => {
        calls.push('sync.onOutcome');
        outcomeHandlers.push(handler);
      },
    },
    reconciler: { beginTerm: note('reconciler.beginTerm'), start: (ms) => void calls.push(`reconciler.start ${ms}`), stop: note('reconciler.stop') },
    makeInline:
      opts.inline === true
        ? () => {
            calls.push('makeInline');
            return Promise.resolve(converger as unknown as InlineConverger);
          }
        : null,
    syncIntervalMs: 1_000,
    reconcileIntervalMs: 2_000,
    log: silentLogger(),
  });
  return { term, calls, state, outcomeHandlers };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LeaderTerm', () => {
  it('starts the registry, prober, sync, inline converge and reconciler in order, and stops them in reverse', async () => {
    const { term, calls } = setup({ inline: true });
    await term.begin(7);
    await settle();
    // The first converge runs beside the term's start; following the branch starts when it ends.
    const started = calls.splice(0);
    assert.ok(started.indexOf('inline.start') > started.indexOf('inline.convergeAll'));
    assert.deepEqual(
      started.filter((c) => c !== 'inline.start'),
      [
        'enterTerm 7',
        'inForce.refresh',
        'registry.reset',
        'registry.load',
        'downView.stop',
        'registry.start',
        'prober.start',
        'sync.start 1000',
        'makeInline',
        'sync.onOutcome',
        'inline.convergeAll',
        'reconciler.beginTerm',
        'reconciler.start 2000',
      ],
    );
    await term.end();
    assert.deepEqual(calls, ['reconciler.stop', 'inline.stop', 'sync.stop', 'prober.stop', 'registry.reset', 'leaveTerm', 'downView.start']);
  });

  it('writes the registry out on a clean shutdown instead of dropping it, and leaves the down view off', async () => {
    const { term, calls, state } = setup();
    await term.begin(3);
    calls.length = 0;
    state.stopping = true;
    await term.end();
    assert.deepEqual(calls, ['reconciler.stop', 'sync.stop', 'prober.stop', 'registry.stop', 'leaveTerm']);
  });

  it('leaves the down view off without an embedded DNS server', async () => {
    const { term, calls } = setup({ dns: false });
    await term.begin(3);
    calls.length = 0;
    await term.end();
    assert.equal(calls.includes('downView.start'), false);
  });

  it('makes the inline converger in the first term only, and triggers it on a changed sync', async () => {
    const { term, calls, outcomeHandlers } = setup({ inline: true });
    assert.equal(term.inline, null, 'none before this replica first leads');
    await term.begin(1);
    await term.end();
    await term.begin(2);
    await settle();
    assert.equal(calls.filter((c) => c === 'makeInline').length, 1);
    assert.equal(calls.filter((c) => c === 'inline.convergeAll').length, 2, 'each term converges everything first');
    assert.notEqual(term.inline, null);
    outcomeHandlers[0]?.({ status: 'unchanged', commit: 'a', previous: 'a', changes: [], rewritten: false });
    outcomeHandlers[0]?.({ status: 'changed', commit: 'b', previous: 'a', changes: [], rewritten: false });
    assert.equal(calls.filter((c) => c === 'inline.trigger').length, 1);
  });

  it('does not start following the branch when leadership was lost during the first converge', async () => {
    let finish: () => void = () => undefined;
    const { term, calls, state } = setup({ inline: true, converge: () => new Promise<void>((resolve) => (finish = resolve)) });
    await term.begin(1);
    state.leads = false;
    finish();
    await settle();
    assert.equal(calls.includes('inline.start'), false);
  });

  it('has no inline converger with converge: ci', async () => {
    const { term, calls } = setup();
    await term.begin(1);
    assert.equal(term.inline, null);
    assert.equal(calls.includes('sync.onOutcome'), false);
  });
});
