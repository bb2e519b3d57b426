import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readProcess, type ProcessInfo } from './proc.js';
import { clearStaleLocks, isStaleLock, readLocks, type StackLock } from './pulumi-locks.js';

describe('isStaleLock', () => {
  const lock: StackLock = { file: 'x.json', stack: 'jp', pid: 100, hostname: 'here' };
  const pulumi: ProcessInfo = { pid: 100, ppid: 1, args: ['/opt/pulumi/bin/pulumi', 'up'], cwd: null };
  const editor: ProcessInfo = { pid: 100, ppid: 1, args: ['vim'], cwd: null };

  it('is stale when the CLI that took it is gone, or its pid now runs something else', () => {
    assert.equal(isStaleLock(lock, 'here', null), true);
    assert.equal(isStaleLock(lock, 'here', editor), true);
  });

  it('is live while its pulumi process runs, and never stale when taken on another host', () => {
    assert.equal(isStaleLock(lock, 'here', pulumi), false);
    assert.equal(isStaleLock(lock, 'elsewhere', null), false);
  });
});

describe('clearStaleLocks', { skip: process.platform === 'linux' ? false : 'no /proc here' }, () => {
  it('removes the lock (and its metadata) of a pulumi process that is gone, and keeps a running one’s', async () => {
    const backend = mkdtempSync(join(tmpdir(), 'xplane-locks-'));
    // A process that looks like the Pulumi CLI to /proc: argv[0] is "pulumi".
    const running = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { argv0: 'pulumi', stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && readProcess(running.pid ?? -1)?.args[0] !== 'pulumi'; i += 1) await new Promise((r) => setTimeout(r, 20));
      const write = (stack: string, id: string, pid: number, host = hostname()): string => {
        const dir = join(backend, '.pulumi', 'locks', 'organization', 'xplane', stack);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${id}.json`), JSON.stringify({ pid, username: 'root', hostname: host, timestamp: new Date().toISOString() }));
        writeFileSync(join(dir, `${id}.json.attrs`), '{}');
        return join(dir, `${id}.json`);
      };
      const dead = write('jp', 'a', 2 ** 22 + 7);
      const live = write('sg', 'b', running.pid ?? -1);
      const remote = write('eu', 'c', 2 ** 22 + 7, 'another-host');
      assert.equal(readLocks(backend).length, 3);
      const said: string[] = [];
      const removed = clearStaleLocks(backend, (l) => said.push(l));
      assert.deepEqual(
        removed.map((l) => l.stack),
        ['jp'],
      );
      assert.deepEqual(said, [`removed a stale lock of stack jp: its pulumi process ${2 ** 22 + 7} is gone (a playground stopped mid-converge)`]);
      assert.ok(!existsSync(dead) && !existsSync(`${dead}.attrs`));
      assert.ok(existsSync(live) && existsSync(remote));
    } finally {
      running.kill('SIGKILL');
      rmSync(backend, { recursive: true, force: true });
    }
  });
});
