// The GitRemote contract, run against the real one (GitMirror over a bare
// repository) and the in-memory fake (MemoryRemote) alike: what the unit tests
// learn from the fake holds for git.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GitError, GitMirror, MemoryRemote, RemoteError, blobId, remoteFailure, type GitRemote } from '../src/gitops/index.js';
import { makeGitFixture } from '../src/testing/index.js';

const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };
const SEED: Record<string, string> = {
  'stacks/Pulumi.jp.yaml': 'config:\n  xplane:region: jp\n',
  'stacks/Pulumi.sg.yaml': 'config:\n  xplane:region: sg\n',
  'platform-config/regions/jp.yaml': 'name: jp\n',
  'Pulumi.yaml': 'name: x\n',
};

/** One implementation under test, with the few things only a test does to a remote. */
interface Subject {
  remote: GitRemote;
  /** Someone else commits and pushes to the branch; returns the commit. */
  pushAs(files: Record<string, string | null>, message: string): string;
  /** The remote stops answering until the returned function is called. */
  unreachable(): () => void;
  /** The remote refuses every push with `reason` until the returned function is called. */
  refusing(reason: string): () => void;
  cleanup(): void;
}

const subjects: { name: string; make: () => Subject }[] = [
  {
    name: 'GitMirror (real git)',
    make: () => {
      const fixture = makeGitFixture({ empty: true });
      fixture.commit(SEED, 'seed');
      const hook = join(fixture.bare, 'hooks', 'pre-receive');
      return {
        remote: new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror')),
        pushAs: (files, message) => fixture.commit(files, message),
        unreachable: () => {
          renameSync(fixture.bare, `${fixture.bare}.away`);
          return () => renameSync(`${fixture.bare}.away`, fixture.bare);
        },
        refusing: (reason) => {
          writeFileSync(hook, `#!/bin/sh\necho "${reason}" >&2\nexit 1\n`, { mode: 0o755 });
          return () => writeFileSync(hook, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        },
        cleanup: () => fixture.cleanup(),
      };
    },
  },
  {
    name: 'MemoryRemote (fake)',
    make: () => {
      const remote = new MemoryRemote({ files: SEED });
      return {
        remote,
        pushAs: (files, message) => remote.pushAs(files, message),
        unreachable: () => {
          remote.failFetches(Number.MAX_SAFE_INTEGER);
          return () => remote.heal();
        },
        refusing: (reason) => {
          remote.refusePushes(1_000, reason);
          return () => remote.heal();
        },
        cleanup: () => undefined,
      };
    },
  },
];

for (const { name, make } of subjects) {
  describe(`GitRemote contract: ${name}`, () => {
    let s: Subject;
    beforeEach(() => {
      s = make();
    });
    afterEach(() => s.cleanup());

    it('fetches the branch head, and the new one once someone else pushed', async () => {
      const first = await s.remote.fetch();
      const next = s.pushAs({ 'notes.md': 'hi\n' }, 'human: notes');
      assert.notEqual(next, first);
      assert.equal(await s.remote.fetch(), next);
    });

    it('reads the files under prefixes in path order, with git’s blob ids', async () => {
      const head = await s.remote.fetch();
      const blobs = await s.remote.readFiles(head, ['stacks']);
      assert.deepEqual(
        blobs.map((b) => [b.path, b.text, b.oid]),
        ['stacks/Pulumi.jp.yaml', 'stacks/Pulumi.sg.yaml'].map((p) => [p, SEED[p], blobId(SEED[p] ?? '')]),
      );
      assert.equal(await s.remote.readFile(head, 'platform-config/regions/jp.yaml'), 'name: jp\n');
      assert.equal(await s.remote.readFile(head, 'stacks/Pulumi.kr.yaml'), undefined);
    });

    it('makes a commit on top of a head without moving the branch, and pushes it as a fast-forward', async () => {
      const head = await s.remote.fetch();
      const commit = await s.remote.commit(head, { files: { 'stacks/Pulumi.jp.yaml': 'config: {}\n' }, message: 'gtm: x\n' }, BOT);
      assert.equal(await s.remote.fetch(), head, 'a commit alone moves nothing');
      assert.equal(await s.remote.readFile(commit, 'stacks/Pulumi.jp.yaml'), 'config: {}\n');
      assert.equal(await s.remote.readFile(commit, 'stacks/Pulumi.sg.yaml'), SEED['stacks/Pulumi.sg.yaml'], 'files not planned stay');
      assert.equal(await s.remote.push(commit), true);
      assert.equal(await s.remote.fetch(), commit);
      const [landed] = await s.remote.history({ from: head, to: commit, since: 0, paths: ['stacks'] });
      assert.deepEqual(landed && { parent: landed.parent, author: `${landed.authorName} <${landed.authorEmail}>`, paths: landed.paths }, {
        parent: head,
        author: 'xplane-bot <xplane-bot@users.noreply.local>',
        paths: ['stacks/Pulumi.jp.yaml'],
      });
    });

    it('answers false to a push made on a head the branch has moved from, and keeps the branch', async () => {
      const head = await s.remote.fetch();
      const commit = await s.remote.commit(head, { files: { 'stacks/Pulumi.jp.yaml': 'config: {}\n' }, message: 'gtm: x\n' }, BOT);
      const human = s.pushAs({ 'notes.md': 'hi\n' }, 'human: notes');
      assert.equal(await s.remote.push(commit), false);
      assert.equal(await s.remote.fetch(), human);
    });

    it('lists a range’s commits under its paths oldest first, with their parents, authors and changed paths', async () => {
      const from = await s.remote.fetch();
      const a = s.pushAs({ 'stacks/Pulumi.jp.yaml': 'config:\n  xplane:region: jp\n# a\n' }, 'a');
      s.pushAs({ 'notes.md': 'not under stacks\n' }, 'b');
      const c = s.pushAs({ 'stacks/Pulumi.sg.yaml': null, 'stacks/Pulumi.kr.yaml': 'config: {}\n' }, 'c');
      const to = await s.remote.fetch();
      const history = await s.remote.history({ from, to, since: 0, paths: ['stacks'] });
      assert.deepEqual(
        history.map((h) => ({ commit: h.commit, author: `${h.authorName} <${h.authorEmail}>`, paths: h.paths })),
        [
          { commit: a, author: 'Test Human <human@example.invalid>', paths: ['stacks/Pulumi.jp.yaml'] },
          { commit: c, author: 'Test Human <human@example.invalid>', paths: ['stacks/Pulumi.kr.yaml', 'stacks/Pulumi.sg.yaml'] },
        ],
      );
      assert.equal(history[0]?.parent, from);
      assert.ok(
        history.every((h) => h.time % 1000 === 0 && Math.abs(h.time - Date.now()) < 60_000),
        'commit times in whole seconds, now',
      );
      assert.deepEqual(await s.remote.history({ from: to, to, since: 0, paths: ['stacks'] }), [], 'an empty range');
    });

    it('tells ancestors apart, and knows when it cannot tell', async () => {
      const root = await s.remote.fetch();
      const sibling = await s.remote.commit(root, { files: { 'x.md': 'x\n' }, message: 'x\n' }, BOT);
      const next = s.pushAs({ 'y.md': 'y\n' }, 'y');
      await s.remote.fetch();
      assert.equal(await s.remote.isAncestor(root, next), true);
      assert.equal(await s.remote.isAncestor(next, next), true);
      assert.equal(await s.remote.isAncestor(next, root), false);
      assert.equal(await s.remote.isAncestor(sibling, next), false);
      assert.equal(await s.remote.isAncestor('0123456789abcdef0123456789abcdef01234567', next), undefined);
    });

    it('shows the diff between two commits under paths', async () => {
      const head = await s.remote.fetch();
      const commit = await s.remote.commit(
        head,
        { files: { 'stacks/Pulumi.jp.yaml': 'config:\n  xplane:region: kr\n', 'notes.md': 'x\n' }, message: 'x\n' },
        BOT,
      );
      const diff = await s.remote.diff(head, commit, ['stacks']);
      assert.match(diff, /^-\s+xplane:region: jp$/m);
      assert.match(diff, /^\+\s+xplane:region: kr$/m);
      assert.doesNotMatch(diff, /notes\.md/);
    });

    it('fails a fetch from a remote that does not answer with a RemoteError, a fetch failure', async () => {
      await s.remote.fetch();
      const restore = s.unreachable();
      await assert.rejects(s.remote.fetch(), (err: unknown) => {
        assert.ok(err instanceof RemoteError, String(err));
        assert.equal(err.problem, 'unreachable');
        assert.match(err.message, /^cannot fetch /);
        assert.equal(remoteFailure(err), 'fetch');
        return true;
      });
      restore();
      await s.remote.fetch();
    });

    it('fails a push the remote refuses with a GitError from `git push`, a push failure', async () => {
      const head = await s.remote.fetch();
      const commit = await s.remote.commit(head, { files: { 'x.md': 'x\n' }, message: 'x\n' }, BOT);
      const restore = s.refusing('pushes are closed');
      await assert.rejects(s.remote.push(commit), (err: unknown) => {
        assert.ok(err instanceof GitError, String(err));
        assert.equal(err.command, 'push');
        assert.match(err.message, /^git push .*pushes are closed/);
        assert.equal(remoteFailure(err), 'push');
        return true;
      });
      restore();
      assert.equal(await s.remote.fetch(), head, 'the branch did not move');
      assert.equal(await s.remote.push(commit), true);
    });
  });
}
