// The LocalNode provider implementation on its own, in this process: real
// agent processes, no Pulumi engine (test/local-target-engine.test.ts runs it
// under the engine).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as pulumi from '@pulumi/pulumi';
import { errorText } from '../../src/errors.js';
import { NODE_PROVIDER, XPLANE_ROOT } from '../components/local-node.js';

interface NodeState {
  name: string;
  service: string;
  region: string;
  address: string;
  server: string;
  stateDir: string;
  xplaneRoot: string;
  implementation: string;
  pid: number;
  token?: string;
}

interface NodeProvider {
  create(inputs: Omit<NodeState, 'pid'>): Promise<{ id: string; outs: NodeState }>;
  read(id: string, props: NodeState): Promise<pulumi.dynamic.ReadResult>;
  diff(id: string, olds: NodeState, news: Omit<NodeState, 'pid'>): Promise<pulumi.dynamic.DiffResult>;
  update(id: string, olds: NodeState, news: Omit<NodeState, 'pid'>): Promise<{ outs: NodeState }>;
  delete(id: string, props: NodeState): Promise<void>;
  isNodeProcess(pid: number, name: string): boolean;
}

const provider = createRequire(import.meta.url)(NODE_PROVIDER) as NodeProvider;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('the LocalNode provider', () => {
  let stateDir: string;
  let inputs: Omit<NodeState, 'pid'> & { token: string };
  let state: NodeState | undefined;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'xplane-local-node-'));
    inputs = {
      name: 'lab-svc-1',
      service: 'svc',
      region: 'lab',
      address: `127.0.0.1:${await freePort()}`,
      // Nothing listens there: the agent keeps retrying its registration.
      server: `http://127.0.0.1:${await freePort()}`,
      token: 'node-provider-token',
      stateDir,
      xplaneRoot: XPLANE_ROOT,
      implementation: NODE_PROVIDER,
    };
  });

  after(() => {
    if (state && provider.isNodeProcess(state.pid, state.name)) process.kill(state.pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts a detached agent that answers /healthz once create returns, and keeps the token out of its state', async () => {
    const created = await provider.create(inputs);
    state = created.outs;
    assert.equal(created.id, 'lab-svc-1');
    assert.equal((await fetch(`http://${inputs.address}/healthz`)).status, 200);
    assert.equal(state.token, undefined);
    assert.ok(!JSON.stringify(state).includes(inputs.token));
    assert.equal(readFileSync(join(stateDir, 'nodes', 'lab-svc-1.pid'), 'utf8').trim(), String(state.pid));
    assert.ok(existsSync(join(stateDir, 'nodes', 'lab-svc-1.log')));
    // The token went by environment, not argv, which anyone can read in /proc.
    if (existsSync(`/proc/${state.pid}/cmdline`)) assert.ok(!readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').includes(inputs.token));
  });

  it('reads a running agent as itself', async () => {
    assert.ok(state);
    assert.deepEqual(await provider.read(state.name, state), { id: state.name, props: state });
  });

  it("reads a pid that is alive but not this node's agent as gone (a recycled pid)", async () => {
    assert.ok(state);
    assert.deepEqual(await provider.read(state.name, { ...state, pid: process.pid }), {});
    assert.deepEqual(await provider.read(state.name, { ...state, name: 'lab-svc-2' }), {});
  });

  it('replaces the process for a new address, service or region, but not for a new token or server', async () => {
    assert.ok(state);
    assert.deepEqual(await provider.diff(state.name, state, { ...inputs, token: 'rotated' }), { changes: false, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual((await provider.diff(state.name, state, { ...inputs, server: 'http://elsewhere:7070' })).replaces, []);
    assert.equal((await provider.diff(state.name, state, { ...inputs, server: 'http://elsewhere:7070' })).changes, true);
    assert.deepEqual((await provider.diff(state.name, state, { ...inputs, address: '127.0.0.9:1' })).replaces, ['address']);
    assert.deepEqual((await provider.diff(state.name, state, { ...inputs, service: 'x', region: 'y' })).replaces, ['service', 'region']);
  });

  it('updates in place without restarting the process', async () => {
    assert.ok(state);
    const { outs } = await provider.update(state.name, state, { ...inputs, server: 'http://elsewhere:7070' });
    assert.equal(outs.pid, state.pid);
    assert.equal(outs.server, 'http://elsewhere:7070');
    assert.ok(provider.isNodeProcess(state.pid, state.name));
  });

  it('stops the agent on delete, within the 5 s drain allowance, and reads it as gone after', async () => {
    assert.ok(state);
    const started = Date.now();
    await provider.delete(state.name, state);
    assert.ok(Date.now() - started < 7_000);
    assert.equal(provider.isNodeProcess(state.pid, state.name), false);
    assert.ok(!existsSync(join(stateDir, 'nodes', 'lab-svc-1.pid')));
    assert.deepEqual(await provider.read(state.name, state), {});
  });

  it('fails create when another process holds the address', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        provider.create({ ...inputs, name: 'lab-svc-2', address: `127.0.0.1:${port}` }),
        /LocalNode lab-svc-2: 127\.0\.0\.1:[0-9]+ is already in use by another process/,
      );
    } finally {
      blocker.close();
    }
  });

  it("fails create with the end of the agent's log when the agent exits at start", async () => {
    // No dist/agent/xplane-agent.mjs there: node exits 1 and says why in the log (its last lines name the error code).
    await assert.rejects(
      provider.create({ ...inputs, name: 'lab-svc-3', xplaneRoot: stateDir }),
      /LocalNode lab-svc-3: the agent exited \(code 1\) before listening on .*\n(.|\n)*MODULE_NOT_FOUND/,
    );
    assert.ok(!existsSync(join(stateDir, 'nodes', 'lab-svc-3.pid')), 'no pid file names a dead agent');
  });

  it('writes the pid file as soon as the agent runs, before it listens: a start cut short still leaves it findable', async () => {
    // An "agent" that never listens: create keeps waiting for it.
    const root = mkdtempSync(join(tmpdir(), 'xplane-slow-agent-'));
    mkdirSync(join(root, 'dist', 'agent'), { recursive: true });
    writeFileSync(join(root, 'dist', 'agent', 'xplane-agent.mjs'), 'setInterval(() => {}, 1000);\n');
    const file = join(stateDir, 'nodes', 'lab-svc-4.pid');
    try {
      const creating = provider.create({ ...inputs, name: 'lab-svc-4', xplaneRoot: root, address: `127.0.0.1:${await freePort()}` });
      const outcome = creating.then(
        () => 'created',
        (err: unknown) => errorText(err),
      );
      let pid = NaN;
      for (let i = 0; i < 100 && !(pid > 0); i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        pid = existsSync(file) ? Number(readFileSync(file, 'utf8')) : NaN;
      }
      assert.ok(provider.isNodeProcess(pid, 'lab-svc-4'), 'the pid file names the waiting agent');
      process.kill(pid, 'SIGKILL');
      assert.match(await outcome, /LocalNode lab-svc-4: the agent exited \(signal SIGKILL\) before listening/);
      assert.ok(!existsSync(file));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('stops a leftover agent of the same node (state lost mid-update) before starting a new one', async () => {
    const first = await provider.create(inputs);
    state = first.outs;
    const second = await provider.create(inputs);
    try {
      assert.notEqual(second.outs.pid, first.outs.pid);
      assert.equal(provider.isNodeProcess(first.outs.pid, inputs.name), false);
      assert.equal((await fetch(`http://${inputs.address}/healthz`)).status, 200);
    } finally {
      state = second.outs;
      await provider.delete(inputs.name, second.outs);
    }
  });
});

describe('isNodeProcess', () => {
  it('is false for a dead pid and for a pid running something else', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)', '--', '--name', 'lab-svc-1']);
    try {
      assert.equal(provider.isNodeProcess(child.pid ?? -1, 'lab-svc-1'), false, 'not an agent');
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(provider.isNodeProcess(0, 'lab-svc-1'), false);
    assert.equal(provider.isNodeProcess(2 ** 22 + 1, 'lab-svc-1'), false);
  });
});
