// The fake's own controls: what it records and the faults it can be told to
// play. That it answers like git is test/gitops-remote.test.ts's contract.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemoteError } from './errors.js';
import { GitError } from './git.js';
import { HUMAN, MemoryRemote, blobId } from './memory-remote.js';

const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

describe('MemoryRemote', () => {
  it('records every call with its arguments, oldest first', async () => {
    const remote = new MemoryRemote({ files: { 'a.txt': 'a\n' } });
    const head = await remote.fetch();
    const commit = await remote.commit(head, { files: { 'a.txt': 'b\n' }, message: 'm\n' }, BOT);
    await remote.push(commit);
    assert.deepEqual(remote.calls, [
      { method: 'fetch', args: [] },
      { method: 'commit', args: [head, { files: { 'a.txt': 'b\n' }, message: 'm\n' }, BOT] },
      { method: 'push', args: [commit] },
    ]);
  });

  it('fails as many fetches as it is told, then answers again', async () => {
    const remote = new MemoryRemote();
    remote.failFetches(2);
    for (let i = 0; i < 2; i += 1) await assert.rejects(remote.fetch(), RemoteError);
    assert.equal(await remote.fetch(), remote.head);
  });

  it('refuses as many pushes as it is told, with git’s error', async () => {
    const remote = new MemoryRemote();
    const commit = await remote.commit(remote.head, { files: { x: 'x' }, message: 'x' }, BOT);
    remote.refusePushes(1, 'disk full');
    await assert.rejects(remote.push(commit), (err: unknown) => err instanceof GitError && err.command === 'push' && /disk full/.test(err.stderr));
    assert.equal(await remote.push(commit), true);
  });

  it('loses the next push to someone else’s, which lands first', async () => {
    const remote = new MemoryRemote();
    const seed = remote.head;
    const commit = await remote.commit(seed, { files: { x: 'x' }, message: 'x' }, BOT);
    remote.raceNextPush({ 'notes.md': 'n\n' }, 'human: notes');
    assert.equal(await remote.push(commit), false);
    assert.equal(remote.commitOf(remote.head)?.parent, seed);
    assert.deepEqual(remote.commitOf(remote.head)?.author, HUMAN);
    assert.equal(remote.file('notes.md'), 'n\n');
  });

  it('heals every pending fault', async () => {
    const remote = new MemoryRemote();
    remote.failFetches(5);
    remote.refusePushes(5);
    remote.raceNextPush({ y: 'y' }, 'y');
    remote.heal();
    const head = await remote.fetch();
    assert.equal(await remote.push(await remote.commit(head, { files: { x: 'x' }, message: 'x' }, BOT)), true);
  });

  it('keeps an unpushed commit, and dates commits by its clock in whole seconds', async () => {
    const clock = { t: 1_700_000_000_123 };
    const remote = new MemoryRemote({ now: () => clock.t });
    assert.equal(remote.commitOf(remote.head)?.time, 1_700_000_000_000);
    const commit = await remote.commit(remote.head, { files: {}, message: 'x' }, BOT);
    await remote.keepLocal(commit);
    assert.equal(remote.unpushedCommit, commit);
  });

  it('names blobs as git does', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    assert.equal(blobId('hello\n'), 'ce013625030ba8dba906f756967f9e9ca394464a');
  });
});
