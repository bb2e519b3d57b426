import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allProcesses, blocks, commandLine, descendantsOf, listeners, parseListeners, readProcess, socketOwners, type ProcessInfo } from './proc.js';

const linux = process.platform === 'linux';

// Two lines of a little-endian /proc/net/tcp: a listener on 127.1.1.1:8080 and an established connection.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0101017F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0101017F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
`;
// /proc/net/tcp6: a dual-stack wildcard on 8080 and an IPv4-mapped 127.2.1.1:9090.
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000101027F:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5252 1 0000000000000000 100 0 0 10 0
`;

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('parseListeners', () => {
  it('keeps listening sockets only and reads little-endian IPv4 addresses', () => {
    assert.deepEqual(parseListeners(TCP, true), [{ ip: '127.1.1.1', port: 8080, inode: 4242 }]);
  });

  it('reads the IPv6 wildcard and IPv4-mapped addresses of tcp6', () => {
    assert.deepEqual(parseListeners(TCP6, true), [
      { ip: '::', port: 8080, inode: 5151 },
      { ip: '::ffff:127.2.1.1', port: 9090, inode: 5252 },
    ]);
  });

  it('reads big-endian words as they are', () => {
    assert.equal(parseListeners(TCP.replace('0101017F', '7F010101'), false)[0]?.ip, '127.1.1.1');
  });
});

describe('blocks', () => {
  it('counts the same address and wildcards on the same port, nothing else', () => {
    const at = (ip: string, port = 8080) => ({ ip, port, inode: 1 });
    assert.equal(blocks(at('127.1.1.1'), '127.1.1.1', 8080), true);
    assert.equal(blocks(at('0.0.0.0'), '127.1.1.1', 8080), true);
    assert.equal(blocks(at('::'), '127.1.1.1', 8080), true);
    assert.equal(blocks(at('::ffff:127.1.1.1'), '127.1.1.1', 8080), true);
    assert.equal(blocks(at('127.1.1.2'), '127.1.1.1', 8080), false);
    assert.equal(blocks(at('0.0.0.0', 8081), '127.1.1.1', 8080), false);
  });
});

describe('readProcess', () => {
  it('reads argv, parent and working directory, and says null for a zombie or a missing pid', () => {
    const proc = mkdtempSync(join(tmpdir(), 'xplane-proc-'));
    try {
      mkdirSync(join(proc, '10'));
      // A command name with a space and a parenthesis, as the kernel prints it.
      writeFileSync(join(proc, '10', 'stat'), '10 (node (x) y) S 1 10 10 0 -1');
      writeFileSync(join(proc, '10', 'cmdline'), 'node\0bin/xplane.js\0agent\0--name\0jp-svc-plus-1\0');
      mkdirSync(join(proc, '11'));
      writeFileSync(join(proc, '11', 'stat'), '11 (node) Z 10 10 10 0 -1');
      writeFileSync(join(proc, '11', 'cmdline'), '');
      const p = readProcess(10, proc);
      assert.deepEqual(p, { pid: 10, ppid: 1, args: ['node', 'bin/xplane.js', 'agent', '--name', 'jp-svc-plus-1'], cwd: null });
      assert.equal(readProcess(11, proc), null);
      assert.equal(readProcess(12, proc), null);
      assert.equal(readProcess(0, proc), null);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('sees this process as it runs', { skip: linux ? false : 'no /proc here' }, () => {
    const me = readProcess(process.pid);
    assert.ok(me);
    assert.equal(me.ppid, process.ppid);
    assert.equal(me.cwd, process.cwd());
    assert.ok(allProcesses().some((p) => p.pid === process.pid));
  });
});

describe('descendantsOf', () => {
  it('follows children and their children, not siblings', () => {
    const p = (pid: number, ppid: number): ProcessInfo => ({ pid, ppid, args: [], cwd: null });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1)];
    assert.deepEqual(
      descendantsOf(10, all).map((d) => d.pid),
      [11, 12],
    );
  });
});

describe('commandLine', () => {
  it('prints argv on one line', () => {
    assert.equal(commandLine({ pid: 1, ppid: 0, args: ['python3', '-c', 'import x\nx.run()'], cwd: null }), 'python3 -c import x x.run()');
  });
});

describe('listeners and socketOwners', { skip: linux ? false : 'no /proc here' }, () => {
  it('find the process that listens on a loopback address', async () => {
    const { server, port } = await listen('127.9.9.9');
    try {
      const mine = listeners().filter((l) => blocks(l, '127.9.9.9', port));
      assert.equal(mine.length, 1);
      const owners = socketOwners([readProcess(process.pid) as ProcessInfo]);
      assert.deepEqual(
        owners.get(mine[0]?.inode ?? -1)?.map((p) => p.pid),
        [process.pid],
      );
    } finally {
      server.close();
    }
  });
});
