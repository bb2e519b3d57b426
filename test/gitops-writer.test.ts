// The git writer against a real bare remote, through the real GitRemote (GitMirror).
// Its logic is unit-tested on the in-memory fake in src/gitops/writer.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GitMirror, GitWriter, readBlobs } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { gitSync, makeGitFixture, type GitFixture } from '../src/testing/index.js';

const STACK = 'stacks/Pulumi.jp.yaml';
const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

describe('GitWriter', () => {
  let fixture: GitFixture;
  let writer: GitWriter;
  let mirror: GitMirror;
  beforeEach(() => {
    fixture = makeGitFixture();
    mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
    writer = new GitWriter({ mirror, author: BOT, push: true, log: silentLogger(), backoffMs: 1 });
  });
  afterEach(() => fixture.cleanup());

  it('pushes one fast-forward commit by the bot with the planned file and message', async () => {
    const outcome = await writer.write(async () => ({
      files: { [STACK]: 'config:\n  xplane:region: jp\n' },
      message: 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n',
    }));
    assert.equal(outcome.status, 'pushed');
    const remoteHead = gitSync(fixture.bare, 'rev-parse', 'main');
    assert.equal(outcome.commit, remoteHead);
    assert.equal(
      gitSync(fixture.bare, 'log', '-1', '--format=%an <%ae>|%s', 'main'),
      'xplane-bot <xplane-bot@users.noreply.local>|autoscale: svc-plus jp 1→2 (cpu=0.82)',
    );
    assert.equal(gitSync(fixture.bare, 'show', `main:${STACK}`), 'config:\n  xplane:region: jp');
    assert.equal(gitSync(fixture.bare, 'rev-list', '--count', 'main'), '2');
  });

  it('makes no commit when the plan has nothing to do', async () => {
    const before = gitSync(fixture.bare, 'rev-parse', 'main');
    const outcome = await writer.write(async () => null);
    assert.deepEqual(outcome, { status: 'nothing', head: before });
    assert.equal(gitSync(fixture.bare, 'rev-parse', 'main'), before);
  });

  it('recomputes on the new head when a human pushed in between, and lands on top', async () => {
    const heads: string[] = [];
    let human = '';
    const outcome = await writer.write(async (head) => {
      heads.push(head);
      if (heads.length === 1) human = fixture.commit({ 'platform-config/NOTES.md': 'hand edit\n' }, 'human: notes');
      const current = gitSync(fixture.root, '--git-dir', mirror.dir + '/.git', 'show', `${head}:${STACK}`);
      return { files: { [STACK]: `${current}\n# seen ${head.slice(0, 7)}\n` }, message: 'gtm: svc-plus jp weight 100→50 (ready 1/2)\n' };
    });
    assert.equal(outcome.status, 'pushed');
    assert.equal(outcome.attempts, 2);
    assert.equal(heads[1], human, 'the second try starts from the human commit');
    assert.equal(gitSync(fixture.bare, 'rev-parse', 'main~1'), human);
    assert.match(gitSync(fixture.bare, 'show', `main:${STACK}`), new RegExp(`# seen ${human.slice(0, 7)}`));
  });

  it('gives up after the bounded number of tries when the remote keeps moving', async () => {
    const bounded = new GitWriter({ mirror, author: BOT, push: true, log: silentLogger(), maxAttempts: 3, backoffMs: 1 });
    let n = 0;
    const outcome = await bounded.write(async () => {
      n += 1;
      fixture.commit({ [`notes/${n}.md`]: `${n}\n` }, `human ${n}`);
      return { files: { [STACK]: `# try ${n}\n` }, message: 'gtm: x\n' };
    });
    assert.equal(outcome.status, 'gave-up');
    assert.equal(n, 3);
    assert.equal(gitSync(fixture.bare, 'log', '-1', '--format=%s', 'main'), 'human 3');
  });

  it('keeps the commit local when pushing is off', async () => {
    const local = new GitWriter({ mirror, author: BOT, push: false, log: silentLogger() });
    const before = gitSync(fixture.bare, 'rev-parse', 'main');
    const outcome = await local.write(async () => ({ files: { [STACK]: 'x: 1\n' }, message: 'gtm: x\n' }));
    assert.equal(outcome.status, 'unpushed');
    assert.equal(gitSync(fixture.bare, 'rev-parse', 'main'), before);
    assert.equal(gitSync(mirror.dir, 'rev-parse', 'refs/xplane/unpushed'), outcome.commit);
  });

  it('shows the diff of a planned commit without touching the remote', async () => {
    const head = await writer.fetchHead();
    const commit = await writer.commit(head, { files: { [STACK]: fixture.read(STACK).replace('weight: 100', 'weight: 50') }, message: 'x\n' });
    const diff = await writer.diff(head, commit);
    assert.match(diff, /^-\s+weight: 100 /m);
    assert.match(diff, /^\+\s+weight: 50 /m);
  });

  it('writes every file of a commit byte for byte, whatever its path, and leaves the others as they were', async () => {
    const head = await writer.fetchHead();
    const before = new Map((await readBlobs(mirror.dir, head, ['stacks', 'platform-config'])).map((b) => [b.path, b.oid]));
    const files: Record<string, string> = {
      [STACK]: 'config:\r\n  xplane:region: jp\r\n',
      'stacks/Pulumi.a b.yaml': 'config: {}\n',
      'stacks/Pulumi.\u00fc\u00f1\u00ee.yaml': '# \u00e9t\u00e9\nconfig: {}',
      'stacks/new/dir/Pulumi.x\ty.yaml': '',
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`stacks/Pulumi.r${i}.yaml`, `config:\n  xplane:region: r${i}\n`])),
    };
    const commit = await writer.commit(head, { files, message: 'many\n' });
    const after = await readBlobs(mirror.dir, commit, ['stacks', 'platform-config']);
    const texts = new Map(after.map((b) => [b.path, b.text]));
    for (const [path, text] of Object.entries(files)) assert.equal(texts.get(path), text, path);
    for (const [path, oid] of before) if (!(path in files)) assert.equal(after.find((b) => b.path === path)?.oid, oid, `${path} unchanged`);
    assert.equal(gitSync(mirror.dir, 'rev-parse', `${commit}^`), head);
  });

  it('makes a commit with the head’s tree when no file is listed', async () => {
    const head = await writer.fetchHead();
    const commit = await writer.commit(head, { files: {}, message: 'empty\n' });
    assert.equal(gitSync(mirror.dir, 'rev-parse', `${commit}^{tree}`), gitSync(mirror.dir, 'rev-parse', `${head}^{tree}`));
  });
});
