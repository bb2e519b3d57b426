// `xplane converge` up to the engine: stack selection, --changed, usage
// errors, and the message when no Pulumi CLI can be found.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { gitSync, makeGitFixture } from '../src/testing/index.js';

const NO_CLI = { PATH: '/usr/bin:/bin', PULUMI_CLI_PATH: '', XPLANE_CACHE: '/nonexistent-xplane-cache' };

describe('xplane converge (stack selection)', () => {
  it('lists every stack by default, and the named ones with --stack', async () => {
    const fixture = makeGitFixture();
    try {
      const all = await runCli(['converge', '--list', '--json', '--dir', fixture.work]);
      assert.equal(all.code, 0, all.stderr);
      assert.deepEqual(JSON.parse(all.stdout), ['jp', 'sg']);
      const one = await runCli(['converge', '--list', '--stack', 'sg', '--dir', fixture.work]);
      assert.equal(one.stdout, 'sg\n');
    } finally {
      fixture.cleanup();
    }
  });

  it('takes only the stacks whose inputs changed with --changed', async () => {
    const fixture = makeGitFixture();
    try {
      const base = gitSync(fixture.work, 'rev-parse', 'HEAD');
      const jp = 'stacks/Pulumi.jp.yaml';
      fixture.commit({ [jp]: fixture.read(jp).replace('weight: 100', 'weight: 90') }, 'hand edit');
      const res = await runCli(['converge', '--list', '--json', '--changed', base, '--dir', fixture.work]);
      assert.deepEqual(JSON.parse(res.stdout), ['jp']);
      const none = await runCli(['converge', '--changed', 'HEAD', '--dir', fixture.work], { env: NO_CLI });
      assert.equal(none.code, 0);
      assert.match(none.stdout, /no stack to converge: nothing changed/);
    } finally {
      fixture.cleanup();
    }
  });

  it('refuses an unknown stack with exit 2, naming the stacks there are', async () => {
    const res = await runCli(['converge', '--stack', 'mars']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--stack mars: no stacks\/Pulumi\.mars\.yaml \(stacks: jp, sg\)/);
  });

  it('says how to get a Pulumi CLI when there is none, and exits 1', async () => {
    const res = await runCli(['preview', '--stack', 'jp'], { env: NO_CLI });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no Pulumi CLI found/);
    assert.match(res.stderr, /scripts\/build-pulumi-cli\.sh/);
    assert.match(res.stderr, /PULUMI_CLI_PATH/);
  });
});
