// The README's walk-through runs as pasted: its shell blocks marked
// `<!-- readme-test: walkthrough -->` are run in order, in one bash, from the
// checkout, the way a newcomer pastes them — with git's default settings (no
// user config), a private /tmp and a private network (its own loopback, so the
// fixed addresses and port 7070 clash with nothing), and a private PID
// namespace so nothing it starts outlives it. Needs root (unshare) and curl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../src/testing/index.js';

/** The shell blocks after each `<!-- readme-test: <name> -->` marker, in order. */
export function markedBlocks(markdown: string, name: string): string[] {
  const blocks: string[] = [];
  const marker = `<!-- readme-test: ${name} -->`;
  let at = markdown.indexOf(marker);
  while (at !== -1) {
    const fence = /```(?:sh|bash)\n([\s\S]*?)```/.exec(markdown.slice(at + marker.length));
    if (!fence?.[1]) throw new Error(`README: no shell block after ${marker}`);
    blocks.push(fence[1]);
    at = markdown.indexOf(marker, at + marker.length);
  }
  return blocks;
}

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for unshare (a private /tmp and network)';
  for (const tool of ['unshare', 'curl', 'ip', 'git']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  return undefined;
}

const why = missing();
if (why && process.env.CI) throw new Error(`CI must run the README walk-through: it ${why}`);

describe('the README walk-through', { skip: why ?? false }, () => {
  it('runs as pasted: serve and two agents come up, a killed agent’s exclusion is committed', () => {
    const blocks = markedBlocks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), 'walkthrough');
    assert.ok(blocks.length >= 2, 'the README marks its walk-through blocks');
    // Inside the namespaces: a fresh /tmp, loopback up, a HOME with no git config; then the blocks.
    const repo = JSON.stringify(REPO_ROOT);
    // A checkout under /tmp (a CI clone) would vanish under the fresh /tmp: carry it across through a private /mnt.
    const keepRepo = REPO_ROOT.startsWith('/tmp/') ? ['mount -t tmpfs tmpfs /mnt', 'mkdir /mnt/repo', `mount --bind ${repo} /mnt/repo`] : [];
    const bringBack = REPO_ROOT.startsWith('/tmp/') ? [`mkdir -p ${repo}`, `mount --bind /mnt/repo ${repo}`] : [];
    const prelude = [
      ...keepRepo,
      'mount -t tmpfs tmpfs /tmp',
      ...bringBack,
      'ip link set lo up',
      'export HOME=/tmp/home',
      'mkdir -p "$HOME"',
      `cd ${repo}`,
    ].join('\n');
    const run = spawnSync('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', 'bash', '-e', '-s'], {
      input: `${prelude}\n${blocks.join('\n')}`,
      encoding: 'utf8',
      timeout: 240_000,
      env: {
        PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        GIT_CONFIG_NOSYSTEM: '1',
        LANG: 'C.UTF-8',
      },
    });
    const out = `${run.stdout}\n--- stderr ---\n${run.stderr}`;
    assert.equal(run.status, 0, out);
    assert.match(run.stdout, /^serve: pid \d+$/m);
    assert.match(run.stdout, /^jp agent: pid \d+$/m);
    assert.match(run.stdout, /"name":"jp-svc-plus-1"[^}]*"state":"active"/, 'the nodes list shows the jp node active');
    assert.match(run.stdout, /"service":"svc-plus"/, 'the service status answers');
    assert.match(run.stdout, /gtm: svc-plus jp exclude jp-svc-plus-1 \(down\)/, 'git log shows the loop’s exclusion commit');
    assert.match(run.stdout, /^[-+]\s+excluded: \[jp-svc-plus-1\]/m, 'and its diff');
  });
});
