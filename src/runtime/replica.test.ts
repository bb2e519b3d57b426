import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Leadership } from '../leader/index.js';
import { silentLogger } from '../log/index.js';
import { MemoryStore } from '../store/index.js';
import { Replica, forwardTarget } from './replica.js';

describe('forwardTarget', () => {
  it('serves locally when leading, forwards to the leader when following, and names why when nobody leads', () => {
    assert.deepEqual(forwardTarget({ role: 'leader', token: 1 }), { kind: 'local' });
    assert.deepEqual(
      forwardTarget({ role: 'follower', leader: { name: 'controller', holder: 'b', address: 'http://b.invalid:7070', token: 2, expiresAt: 0 } }),
      {
        kind: 'leader',
        url: 'http://b.invalid:7070',
      },
    );
    assert.deepEqual(forwardTarget({ role: 'none', reason: 'starting' }), { kind: 'none', reason: 'starting' });
  });
});

describe('Replica', () => {
  it('sees no leader and may not write before the election runs', () => {
    const replica = new Replica('a');
    assert.deepEqual(replica.view(), { role: 'none', reason: 'starting' });
    assert.equal(replica.leads(), false);
    assert.equal(replica.mayWriteNodes(), false);
    assert.equal(replica.writeFence(), undefined);
    assert.equal(replica.storeError, null);
  });

  it('writes under the term’s fencing token while leading, and through a clean shutdown’s last write', async () => {
    const store = new MemoryStore();
    const replica = new Replica('a');
    const election = new Leadership({
      store,
      log: silentLogger(),
      id: 'a',
      address: 'http://a.invalid',
      ttlMs: 60_000,
      onElected: (t) => replica.enterTerm(t),
      onDeposed: () => undefined,
    });
    replica.attach(election);
    await election.start();
    assert.equal(replica.leads(), true);
    assert.equal(replica.mayWriteNodes(), true);
    const token = election.fencingToken;
    assert.notEqual(token, null);
    assert.deepEqual(replica.writeFence(), { lease: 'controller', holder: 'a', token });
    replica.close();
    await election.stop();
    assert.equal(replica.leads(), false);
    assert.equal(replica.mayWriteNodes(), true, 'closing: the last write still goes out');
    assert.deepEqual(replica.writeFence(), { lease: 'controller', holder: 'a', token }, 'kept until the term is left');
    replica.leaveTerm();
    assert.equal(replica.writeFence(), undefined);
  });
});
