// The git writer's logic on the in-memory remote: one fast-forward commit per
// write, a new plan on the new head when the remote moved, a bounded number of
// tries, nothing pushed without the lease, and a refusal shown rather than
// retried. test/gitops-writer.test.ts runs the writer against real git.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { GitError } from './git.js';
import { MemoryRemote } from './memory-remote.js';
import { GitWriter, type GitWriterOptions } from './writer.js';

const STACK = 'stacks/Pulumi.jp.yaml';
const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };
const SEED = { [STACK]: 'config:\n  xplane:region: jp\n', 'platform-config/regions/jp.yaml': 'name: jp\n' };

function rig(options: Partial<GitWriterOptions> = {}): { remote: MemoryRemote; writer: GitWriter } {
  const remote = new MemoryRemote({ files: SEED });
  return { remote, writer: new GitWriter({ mirror: remote, author: BOT, push: true, log: silentLogger(), backoffMs: 1, ...options }) };
}

const methods = (remote: MemoryRemote): string[] => remote.calls.map((c) => c.method);

describe('GitWriter on the in-memory remote', () => {
  it('pushes one fast-forward commit by its author with the planned files and message', async () => {
    const { remote, writer } = rig();
    const seed = remote.head;
    const outcome = await writer.write(() => Promise.resolve({ files: { [STACK]: 'config: {}\n' }, message: 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n' }));
    assert.deepEqual(outcome, { status: 'pushed', head: seed, commit: remote.head, attempts: 1 });
    const landed = remote.commitOf(remote.head);
    assert.equal(landed?.parent, seed);
    assert.deepEqual(landed.author, BOT);
    assert.equal(landed.message, 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n');
    assert.equal(remote.file(STACK), 'config: {}\n');
    assert.equal(remote.file('platform-config/regions/jp.yaml'), 'name: jp\n', 'a file not in the plan stays as it was');
    assert.deepEqual(methods(remote), ['fetch', 'commit', 'push']);
  });

  it('makes no commit when the plan has nothing to do', async () => {
    const { remote, writer } = rig();
    const seed = remote.head;
    assert.deepEqual(await writer.write(() => Promise.resolve(null)), { status: 'nothing', head: seed });
    assert.equal(remote.head, seed);
    assert.deepEqual(methods(remote), ['fetch']);
  });

  it('plans again on the new head when someone pushed in between, and lands on top of it', async () => {
    const { remote, writer } = rig();
    remote.raceNextPush({ 'platform-config/NOTES.md': 'hand edit\n' }, 'human: notes');
    const heads: string[] = [];
    const outcome = await writer.write((head) => {
      heads.push(head);
      return Promise.resolve({ files: { [STACK]: `# planned on ${head.slice(0, 7)}\n` }, message: 'gtm: svc-plus jp weight 100→50 (ready 1/2)\n' });
    });
    assert.deepEqual(outcome.status === 'pushed' && { status: outcome.status, attempts: outcome.attempts }, { status: 'pushed', attempts: 2 });
    assert.equal(heads.length, 2);
    const human = remote.commitOf(remote.head)?.parent ?? '';
    assert.equal(heads[1], human, 'the second try starts from the human commit');
    assert.equal(remote.commitOf(human)?.message, 'human: notes');
    assert.equal(remote.file(STACK), `# planned on ${human.slice(0, 7)}\n`);
    assert.equal(remote.file('platform-config/NOTES.md'), 'hand edit\n', 'the human commit is kept');
    assert.deepEqual(methods(remote), ['fetch', 'commit', 'push', 'fetch', 'commit', 'push']);
  });

  it('gives up after the bounded number of tries when the remote keeps moving', async () => {
    const { remote, writer } = rig({ maxAttempts: 3 });
    for (let n = 1; n <= 3; n += 1) remote.raceNextPush({ [`notes/${n}.md`]: `${n}\n` }, `human ${n}`);
    let plans = 0;
    const outcome = await writer.write(() => {
      plans += 1;
      return Promise.resolve({ files: { [STACK]: `# try ${plans}\n` }, message: 'gtm: x\n' });
    });
    assert.deepEqual(outcome, { status: 'gave-up', head: remote.commitOf(remote.head)?.parent, attempts: 3 });
    assert.equal(plans, 3);
    assert.equal(remote.commitOf(remote.head)?.message, 'human 3');
  });

  it('keeps the commit local when pushing is off', async () => {
    const { remote, writer } = rig({ push: false });
    const seed = remote.head;
    const outcome = await writer.write(() => Promise.resolve({ files: { [STACK]: 'x: 1\n' }, message: 'gtm: x\n' }));
    assert.deepEqual(outcome, { status: 'unpushed', head: seed, commit: remote.unpushedCommit });
    assert.equal(remote.head, seed, 'nothing pushed');
    assert.deepEqual(methods(remote), ['fetch', 'commit', 'keepLocal']);
  });

  it('pushes nothing once the fence says this replica no longer leads', async () => {
    const { remote, writer } = rig({
      fence: () => Promise.reject(new Error('not the leader: the lease lapsed; leaving the write to the new leader')),
    });
    const seed = remote.head;
    await assert.rejects(
      writer.write(() => Promise.resolve({ files: { [STACK]: 'x: 1\n' }, message: 'gtm: x\n' })),
      /not the leader/,
    );
    assert.equal(remote.head, seed);
    assert.ok(!methods(remote).includes('push'));
  });

  it('shows a refused push as the GitError it is, without planning again', async () => {
    const { remote, writer } = rig();
    remote.refusePushes(1, 'pushes are closed');
    let plans = 0;
    await assert.rejects(
      writer.write(() => {
        plans += 1;
        return Promise.resolve({ files: { [STACK]: 'x: 1\n' }, message: 'gtm: x\n' });
      }),
      (err: unknown) => {
        assert.ok(err instanceof GitError, String(err));
        assert.equal(err.command, 'push');
        assert.match(err.message, /^git push .*pushes are closed/);
        return true;
      },
    );
    assert.equal(plans, 1, 'a refusal is not a race');
  });

  it('shows the diff of a planned commit without touching the branch', async () => {
    const { remote, writer } = rig();
    const head = await writer.fetchHead();
    const commit = await writer.commit(head, { files: { [STACK]: 'config:\n  xplane:region: kr\n' }, message: 'x\n' });
    assert.equal(remote.head, head);
    const diff = await writer.diff(head, commit);
    assert.match(diff, /^-\s+xplane:region: jp$/m);
    assert.match(diff, /^\+\s+xplane:region: kr$/m);
  });
});
