import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyncOutcome } from '../gitops/index.js';
import type { LeaderView } from '../leader/index.js';
import { controlPlaneHealth, notReadyReason } from './health.js';

const leader: LeaderView = { role: 'leader', token: 1 };
const follower: LeaderView = { role: 'follower', leader: { name: 'controller', holder: 'b', address: 'http://b.invalid', token: 2, expiresAt: 0 } };
const ok: SyncOutcome = { status: 'unchanged', commit: 'a', previous: 'a', changes: [], rewritten: false };
const gitDown: SyncOutcome = { status: 'error', message: 'fetch failed', inForce: null };
const invalid: SyncOutcome = { status: 'invalid', commit: 'a', issues: [], inForce: null };

describe('notReadyReason', () => {
  const cases: { name: string; role: LeaderView; config: boolean; last: SyncOutcome | null; want: string | null }[] = [
    { name: 'not ready without a leader', role: { role: 'none', reason: 'starting' }, config: true, last: ok, want: 'no leader: starting' },
    { name: 'a follower is ready whatever it has in force', role: follower, config: false, last: null, want: null },
    { name: 'a leader with a configuration in force is ready', role: leader, config: true, last: gitDown, want: null },
    { name: 'a leader before its first sync waits', role: leader, config: false, last: null, want: 'no configuration in force yet' },
    { name: 'a leader whose last sync failed says so', role: leader, config: false, last: gitDown, want: 'no configuration in force: last sync error' },
    { name: 'a leader whose last sync was invalid says so', role: leader, config: false, last: invalid, want: 'no configuration in force: last sync invalid' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(
        notReadyReason(c.role, () => c.config, c.last),
        c.want,
      );
    });
  }
});

describe('controlPlaneHealth', () => {
  it('is healthy when the store answers and the last sync reached the remote', () => {
    assert.deepEqual(controlPlaneHealth(null, ok), { store: true, git: true, reason: undefined });
    assert.deepEqual(controlPlaneHealth(null, null), { store: true, git: true, reason: undefined });
  });

  it('names the store first when both are lost', () => {
    assert.deepEqual(controlPlaneHealth('the store did not answer: timeout', gitDown), {
      store: false,
      git: false,
      reason: 'the store did not answer: timeout',
    });
    assert.deepEqual(controlPlaneHealth(null, gitDown), { store: true, git: false, reason: 'fetch failed' });
  });

  it('does not count an invalid configuration as a lost remote', () => {
    assert.deepEqual(controlPlaneHealth(null, invalid), { store: true, git: true, reason: undefined });
  });
});
