// Faults at the Git remote while the writer commits: the remote is gone (path
// removed, nothing listening at its URL), refuses our credentials (401 on
// fetch, or on push only), or a disk fills up in the middle of the write (the
// mirror's, or the remote's). Each write fails with an error that says why,
// the remote branch is untouched, the mirror keeps no half-made ref, and the
// first write after the fault clears lands exactly one commit.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GitError, GitMirror, GitWriter, RemoteError, type PlannedCommit } from '../../src/gitops/index.js';
import { silentLogger } from '../../src/log/index.js';
import { gitSync, makeGitFixture, type GitFixture } from '../../src/testing/index.js';

const STACK = 'stacks/Pulumi.jp.yaml';
const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

/** A planned change to the jp stack, different each time. */
function change(fixture: GitFixture, n: number): PlannedCommit {
  return { files: { [STACK]: `${fixture.read(STACK)}# write ${n}\n` }, message: `test: write ${n}\n` };
}

function writerFor(mirror: GitMirror): GitWriter {
  return new GitWriter({ mirror, author: BOT, push: true, log: silentLogger(), backoffMs: 1, maxAttempts: 3 });
}

/** The remote branch is where it was, and the remote's objects are sound. */
function assertRemoteUntouched(bare: string, head: string): void {
  assert.equal(gitSync(bare, 'rev-parse', 'refs/heads/main'), head, 'the remote branch did not move');
  gitSync(bare, 'fsck', '--no-progress', '--no-dangling');
}

/** The mirror has no ref the failed write made or moved, no lock left behind, and its objects are sound. */
function assertMirrorClean(mirror: GitMirror, head: string): void {
  assert.equal(gitSync(mirror.dir, 'for-each-ref', '--format=%(refname) %(objectname)'), `${mirror.trackingRef} ${head}`);
  const locks = execFileSync('find', [join(mirror.dir, '.git'), '-name', '*.lock'], { encoding: 'utf8' }).trim();
  assert.equal(locks, '', 'no lock file left behind');
  gitSync(mirror.dir, 'fsck', '--no-progress', '--no-dangling');
}

/** The next write lands one commit by the bot, right on top of `head`. */
async function assertNextWriteLands(writer: GitWriter, bare: string, head: string, planned: PlannedCommit): Promise<void> {
  const outcome = await writer.write(async () => planned);
  assert.equal(outcome.status, 'pushed', JSON.stringify(outcome));
  assert.equal(gitSync(bare, 'rev-list', '--count', `${head}..refs/heads/main`), '1', 'exactly one new commit');
  assert.equal(gitSync(bare, 'rev-parse', 'refs/heads/main^'), head);
  assert.equal(gitSync(bare, 'log', '-1', '--format=%an|%s', 'refs/heads/main'), `${BOT.name}|${planned.message.trim()}`);
  assert.equal(gitSync(bare, 'show', `refs/heads/main:${STACK}`), (planned.files[STACK] ?? '').trimEnd());
}

// ---- a smart-HTTP Git server that can refuse credentials -------------------------

interface GitHttp {
  url: string;
  /** Which services answer 401 now. */
  deny: { fetch: boolean; push: boolean };
  requests: number;
  close(): Promise<void>;
}

/** Serves the bare repos under `root` through `git http-backend` on 127.0.0.1 (port 0, or `port`). */
async function gitHttp(root: string, port = 0): Promise<GitHttp> {
  const state: GitHttp = { url: '', deny: { fetch: false, push: false }, requests: 0, close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const push = /git-receive-pack/.test(url.pathname + url.search);
    if (push ? state.deny.push : state.deny.fetch) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="xplane-test"', 'content-type': 'text/plain' });
      res.end('bad credentials\n');
      return;
    }
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'xplane', // an authenticated user may push
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
    };
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    const cgi = spawn('git', ['http-backend'], { env });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  state.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

/** A port nothing listens on (for now). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

// ---- a disk that fills up -----------------------------------------------------

/** A directory whose disk can be made to fill, the mirror's or the remote's. */
interface DiskFault {
  dir: string;
  /** How the fault is produced, for the test log. */
  how: string;
  /** What git says when it hits it. */
  says: RegExp;
  fill(): void;
  free(): void;
  cleanup(): void;
}

/**
 * A 16 MiB tmpfs under `parent` filled to the last byte (we run as root). Where
 * mounting is not allowed (or XPLANE_TEST_DISK_FAULT=rlimit), git's writes are
 * refused by RLIMIT_FSIZE instead, through prlimit: for the mirror's side, on
 * every git the writer starts (a `git` wrapper first on PATH); for the
 * remote's, on the receive-pack the push starts (remote.origin.receivepack).
 */
function diskFault(parent: string, side: { of: 'mirror' } | { of: 'remote'; mirrorDir: string }): DiskFault {
  const dir = join(parent, 'small-disk');
  mkdirSync(dir, { recursive: true });
  if (process.env.XPLANE_TEST_DISK_FAULT !== 'rlimit') {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'pipe' });
      return tmpfsFault(dir);
    } catch {
      // fall through to the file-size limit
    }
  }
  const limited = 'prlimit --fsize=0';
  if (side.of === 'remote') {
    return {
      dir,
      how: `RLIMIT_FSIZE=0 on the remote's receive-pack (${limited} git-receive-pack)`,
      says: /remote unpack failed|unpacker error/,
      fill: () => gitSync(side.mirrorDir, 'config', 'remote.origin.receivepack', `${limited} git-receive-pack`),
      free: () => gitSync(side.mirrorDir, 'config', '--unset', 'remote.origin.receivepack'),
      cleanup: () => undefined,
    };
  }
  const bin = join(parent, 'limited-bin');
  mkdirSync(bin, { recursive: true });
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(join(bin, 'git'), `#!/bin/sh\nexec ${limited} ${realGit} "$@"\n`, { mode: 0o755 });
  const path = process.env.PATH ?? '';
  return {
    dir,
    how: `RLIMIT_FSIZE=0 on every git the writer starts (${limited} git)`,
    says: /killed by SIGXFSZ|died of signal 25|File too large/, // 25: SIGXFSZ
    fill: () => void (process.env.PATH = `${bin}:${path}`),
    free: () => void (process.env.PATH = path),
    cleanup: () => void (process.env.PATH = path),
  };
}

function tmpfsFault(dir: string): DiskFault {
  const filler = join(dir, 'filler');
  const fillWith = (fd: number, block: Buffer, size: number): void => {
    try {
      for (;;) writeSync(fd, block, 0, size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
  };
  return {
    dir,
    how: 'a 16 MiB tmpfs filled to the last byte',
    says: /No space left on device/,
    fill() {
      const fd = openSync(filler, 'w');
      try {
        const block = Buffer.alloc(64 * 1024, 0x78);
        fillWith(fd, block, block.length);
        fillWith(fd, block, 1); // and the last partial block
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    cleanup: () => execFileSync('umount', ['-l', dir], { stdio: 'pipe' }),
  };
}

// ---- the tests ------------------------------------------------------------------

describe('git remote faults during a write', () => {
  let fixture: GitFixture;
  beforeEach(() => {
    fixture = makeGitFixture();
  });
  afterEach(() => fixture.cleanup());

  it('fails with a clear error when the remote path is gone, and lands one commit once it is back', async () => {
    const mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
    const writer = writerFor(mirror);
    const head = await writer.fetchHead();
    const away = `${fixture.bare}.away`;
    renameSync(fixture.bare, away);
    await assert.rejects(
      writer.write(async () => change(fixture, 1)),
      (err: unknown) => {
        assert.ok(err instanceof RemoteError, String(err));
        assert.equal(err.problem, 'unreachable');
        assert.match(err.message, new RegExp(`cannot fetch ${fixture.bare}: .*does not appear to be a git repository`));
        return true;
      },
    );
    renameSync(away, fixture.bare);
    assertRemoteUntouched(fixture.bare, head);
    assertMirrorClean(mirror, head);
    await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
  });

  it('fails with a clear error when the remote disappears between fetch and push, and keeps no half-made ref', async () => {
    const mirror = new GitMirror(fixture.bare, 'main', join(fixture.root, 'mirror'));
    const writer = writerFor(mirror);
    const head = await writer.fetchHead();
    const away = `${fixture.bare}.away`;
    await assert.rejects(
      writer.write(async () => {
        renameSync(fixture.bare, away);
        return change(fixture, 1);
      }),
      (err: unknown) => {
        assert.ok(err instanceof GitError, String(err));
        assert.equal(err.code, 'XP_ERR_GIT');
        assert.match(err.message, /^git push .*does not appear to be a git repository/);
        return true;
      },
    );
    renameSync(away, fixture.bare);
    assertRemoteUntouched(fixture.bare, head);
    assertMirrorClean(mirror, head);
    await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
  });

  it('fails with a clear error when nothing listens at the remote URL, and lands one commit once the server is up', async () => {
    const port = await closedPort();
    const mirror = new GitMirror(`http://127.0.0.1:${port}/remote.git`, 'main', join(fixture.root, 'mirror'));
    const writer = writerFor(mirror);
    const head = gitSync(fixture.bare, 'rev-parse', 'refs/heads/main');
    await assert.rejects(
      writer.write(async () => change(fixture, 1)),
      (err: unknown) => {
        assert.ok(err instanceof RemoteError, String(err));
        assert.match(
          err.message,
          new RegExp(`cannot fetch http://127\\.0\\.0\\.1:${port}/remote\\.git: .*(Failed to connect|Could not connect|Connection refused)`),
        );
        return true;
      },
    );
    const server = await gitHttp(fixture.root, port);
    try {
      assertRemoteUntouched(fixture.bare, head);
      await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
      assertMirrorClean(mirror, gitSync(fixture.bare, 'rev-parse', 'refs/heads/main'));
    } finally {
      await server.close();
    }
  });

  it('fails with a clear error when the remote refuses our credentials, and lands one commit once they are accepted', async () => {
    const server = await gitHttp(fixture.root);
    try {
      const mirror = new GitMirror(`${server.url}/remote.git`, 'main', join(fixture.root, 'mirror'));
      const writer = writerFor(mirror);
      const head = await writer.fetchHead();
      server.deny.fetch = true;
      server.deny.push = true;
      await assert.rejects(
        writer.write(async () => change(fixture, 1)),
        (err: unknown) => {
          assert.ok(err instanceof RemoteError, String(err));
          assert.match(err.message, /cannot fetch http:\/\/127\.0\.0\.1:\d+\/remote\.git: .*Authentication failed/);
          return true;
        },
      );
      server.deny.fetch = false;
      server.deny.push = false;
      assertRemoteUntouched(fixture.bare, head);
      assertMirrorClean(mirror, head);
      await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
    } finally {
      await server.close();
    }
  });

  it('fails with a clear error when the credentials may read but not push, and keeps no half-made ref', async () => {
    const server = await gitHttp(fixture.root);
    try {
      const mirror = new GitMirror(`${server.url}/remote.git`, 'main', join(fixture.root, 'mirror'));
      const writer = writerFor(mirror);
      const head = await writer.fetchHead();
      server.deny.push = true;
      let plans = 0;
      await assert.rejects(
        writer.write(async () => {
          plans += 1;
          return change(fixture, 1);
        }),
        (err: unknown) => {
          assert.ok(err instanceof GitError, String(err));
          assert.match(err.message, /^git push .*Authentication failed/);
          return true;
        },
      );
      assert.equal(plans, 1, 'a refused push is not retried as if the remote had moved');
      server.deny.push = false;
      assertRemoteUntouched(fixture.bare, head);
      assertMirrorClean(mirror, head);
      await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
    } finally {
      await server.close();
    }
  });

  it('fails with a clear error when the mirror’s disk fills during the write, and lands one commit once space is freed', async (t) => {
    const disk = diskFault(fixture.root, { of: 'mirror' });
    t.diagnostic(`disk fault: ${disk.how}`);
    try {
      const mirror = new GitMirror(fixture.bare, 'main', join(disk.dir, 'mirror'));
      const writer = writerFor(mirror);
      const head = await writer.fetchHead();
      await assert.rejects(
        writer.write(async () => {
          disk.fill();
          return change(fixture, 1);
        }),
        (err: unknown) => {
          assert.ok(err instanceof GitError, String(err));
          assert.match(err.message, disk.says);
          return true;
        },
      );
      disk.free();
      assertRemoteUntouched(fixture.bare, head);
      assertMirrorClean(mirror, head);
      await assertNextWriteLands(writer, fixture.bare, head, change(fixture, 2));
    } finally {
      disk.cleanup();
    }
  });

  it('fails with a clear error when the mirror’s disk is full as a write fetches, and lands one commit once space is freed', async (t) => {
    const disk = diskFault(fixture.root, { of: 'mirror' });
    t.diagnostic(`disk fault: ${disk.how}`);
    try {
      const mirror = new GitMirror(fixture.bare, 'main', join(disk.dir, 'mirror'));
      const writer = writerFor(mirror);
      const before = await writer.fetchHead();
      const human = fixture.commit({ 'platform-config/NOTES.md': `${'notes '.repeat(2_000)}\n` }, 'human: notes');
      disk.fill();
      await assert.rejects(
        writer.write(async () => change(fixture, 1)),
        (err: unknown) => {
          assert.ok(err instanceof RemoteError, String(err));
          assert.match(err.message, new RegExp(`^cannot fetch .*(${disk.says.source})`));
          return true;
        },
      );
      disk.free();
      assertRemoteUntouched(fixture.bare, human);
      assertMirrorClean(mirror, before);
      await assertNextWriteLands(writer, fixture.bare, human, change(fixture, 2));
    } finally {
      disk.cleanup();
    }
  });

  it('fails with a clear error when the remote’s disk fills during the push, and lands one commit once space is freed', async (t) => {
    const mirror = new GitMirror(join(fixture.root, 'small-disk', 'remote.git'), 'main', join(fixture.root, 'mirror'));
    const disk = diskFault(fixture.root, { of: 'remote', mirrorDir: mirror.dir });
    t.diagnostic(`disk fault: ${disk.how}`);
    try {
      const bare = join(disk.dir, 'remote.git');
      execFileSync('cp', ['-a', fixture.bare, bare]);
      const writer = writerFor(mirror);
      const head = await writer.fetchHead();
      let plans = 0;
      await assert.rejects(
        writer.write(async () => {
          plans += 1;
          disk.fill();
          return change(fixture, 1);
        }),
        (err: unknown) => {
          assert.ok(err instanceof GitError, String(err));
          assert.match(err.message, /^git push .*(remote unpack failed|unpacker error)/);
          return true;
        },
      );
      assert.equal(plans, 1, 'a push the remote could not store is not retried as if the remote had moved');
      disk.free();
      assert.ok(!existsSync(join(bare, 'refs', 'heads', 'main.lock')), 'no lock left on the remote');
      assertRemoteUntouched(bare, head);
      assertMirrorClean(mirror, head);
      await assertNextWriteLands(writer, bare, head, change(fixture, 2));
    } finally {
      disk.cleanup();
    }
  });
});
