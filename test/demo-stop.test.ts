// The playground stopped badly, with the real Pulumi engine and real agent
// processes: SIGTERM (once the nodes are up, and in the middle of the first
// converge) stops it as cleanly as Ctrl-C; a second signal kills the nodes and
// exits at once; after `kill -9` (mid-converge, and once up) the next start
// on the same directory stops the agents it left, clears the stack locks its
// converge left, and brings up new nodes that DNS answers with.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findPulumiCli } from '../src/converge/index.js';
import { REPO_ROOT } from '../src/testing/index.js';
import { alive, startPlayground, until, type Playground } from './helpers/playground.js';

let cli: string | undefined;
let noCli = '';
try {
  cli = await findPulumiCli(REPO_ROOT);
} catch (err) {
  if (process.env.CI) throw new Error(`CI must provide a Pulumi CLI for the end-to-end tests: ${(err as Error).message}`, { cause: err });
  noCli = `no Pulumi CLI here: ${(err as Error).message}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a /proc file of `pid`, or '' once it is gone. */
function proc(pid: string, file: string): string {
  try {
    return file === 'cwd' ? readlinkSync(`/proc/${pid}/cwd`) : readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** Pids of live `xplane agent` processes of the playground in `dir`: started in its state dir, or pointed at one of its APIs. */
function agentsOf(dir: string, apis: string[]): number[] {
  return readdirSync('/proc')
    .filter((p) => /^[0-9]+$/.test(p))
    .filter((p) => {
      const args = proc(p, 'cmdline').split('\0');
      if (!args.some((a) => a.endsWith('/xplane-agent.mjs')) || !args.includes('--name')) return false;
      return proc(p, 'cwd').startsWith(dir) || apis.some((api) => args.includes(api));
    })
    .map(Number)
    .filter(alive);
}

/** The processes directly below `pid` whose command line has every one of `words`. */
function childrenRunning(pid: number, ...words: string[]): number[] {
  return readdirSync('/proc')
    .filter((p) => /^[0-9]+$/.test(p))
    .filter((p) => {
      const stat = proc(p, 'stat');
      const args = proc(p, 'cmdline').split('\0');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && words.every((w) => args.includes(w));
    })
    .map(Number);
}

/** Lock files in the playground's Pulumi backend. */
function locks(dir: string): string[] {
  try {
    return (readdirSync(join(dir, 'pulumi', '.pulumi', 'locks'), { recursive: true }) as string[]).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the playground did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function bothActive(pg: Playground, timeoutMs: number, not: number[] = []): Promise<void> {
  await until(
    'both nodes active with new agents',
    async () => {
      const nodes = await pg.nodes();
      const pids = ['jp-svc-plus-1', 'sg-svc-plus-1'].map((n) => pg.pidOf(n) ?? -1);
      return nodes.filter((n) => n.state === 'active').length === 2 && pids.every((p) => p > 0 && !not.includes(p)) ? true : undefined;
    },
    timeoutMs,
  );
}

function output(pg: Playground): string {
  return `\n--- stdout\n${pg.stdout()}\n--- stderr\n${pg.stderr()}`;
}

// Nodes come up in about 10 s here: the first converge (two stacks in
// parallel) starts the agents, which register and pass two 1 s probes. 120 s
// leaves room for a loaded machine, as test/demo-e2e.test.ts does.
const UP_MS = 120_000;
// A clean stop: wait for a converge in flight (typically under 10 s), destroy
// both stacks (about 4 s), stop the control plane. 60 s is a wide margin.
const STOP_MS = 60_000;
// After kill -9 the new playground first waits out the dead one's leader lease
// (lease_ttl 10 s), then converges: stopping leftovers takes at most their 2 s
// grace, one agent start at most START_TIMEOUT (30 s; the stacks run in
// parallel), then two 1 s probes. 10 + 2 + 30 + 2 s, rounded up to 60 s.
const RESTART_MS = 60_000;

describe('xplane demo stopped badly', { skip: cli === undefined ? noCli : false }, () => {
  const dirs: string[] = [];
  const playgrounds: Playground[] = [];
  const newDir = (): string => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xplane-demo-stop-')));
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string): Promise<Playground> => {
    const pg = await startPlayground(dir, cli ?? '');
    playgrounds.push(pg);
    return pg;
  };

  after(() => {
    for (const pg of playgrounds) pg.child.kill('SIGKILL');
    // Whatever happened, no agent of these playgrounds may outlive the test.
    for (const dir of dirs) {
      for (const pid of agentsOf(
        dir,
        playgrounds.filter((p) => p.dir === dir).map((p) => p.api),
      )) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM once the nodes are up: exit 0, every node gone, as with Ctrl-C', async () => {
    const dir = newDir();
    const pg = await start(dir);
    await bothActive(pg, UP_MS);
    const agents = agentsOf(dir, [pg.api]);
    assert.equal(agents.length, 2);
    const sent = Date.now();
    pg.child.kill('SIGTERM');
    const code = await exited(pg.child, STOP_MS);
    console.log(`# SIGTERM with both nodes up: exit ${code} after ${Date.now() - sent} ms`);
    assert.equal(code, 0, output(pg));
    assert.match(pg.stdout(), /stopping: removing the playground’s nodes/);
    assert.deepEqual(agentsOf(dir, [pg.api]), []);
    // Nothing of the playground starts a node after it has exited.
    await sleep(2_000);
    assert.deepEqual(agentsOf(dir, [pg.api]), []);
  });

  // Two moments of the first converge: right as the playground says it is up
  // (the converge is cloning and selecting stacks, no `pulumi up` yet: a
  // destroy then raced it and lost), and once its `pulumi up` runs.
  for (const moment of ['at start-up', 'during the first pulumi up'] as const) {
    it(`SIGTERM ${moment}: exit 0 and no node left, now or later`, async () => {
      const dir = newDir();
      const pg = await start(dir);
      const pid = pg.child.pid ?? -1;
      if (moment === 'during the first pulumi up') await until('the first pulumi up', () => (childrenRunning(pid, 'up').length > 0 ? true : undefined), 60_000);
      const sent = Date.now();
      pg.child.kill('SIGTERM');
      const code = await exited(pg.child, STOP_MS);
      console.log(`# SIGTERM ${moment}: exit ${code} after ${Date.now() - sent} ms`);
      assert.equal(code, 0, output(pg));
      assert.deepEqual(agentsOf(dir, [pg.api]), []);
      await sleep(3_000);
      assert.deepEqual(agentsOf(dir, [pg.api]), [], 'an agent started after the playground exited');
    });
  }

  it('a second signal during the stop kills the nodes and exits at once', async () => {
    const dir = newDir();
    const pg = await start(dir);
    await bothActive(pg, UP_MS);
    const pid = pg.child.pid ?? -1;
    pg.child.kill('SIGTERM');
    await until('the destroy', () => (childrenRunning(pid, 'destroy').length > 0 ? true : undefined), 30_000);
    const sent = Date.now();
    pg.child.kill('SIGTERM');
    const code = await exited(pg.child, 5_000);
    const ms = Date.now() - sent;
    console.log(`# second SIGTERM during the destroy: exit ${code} after ${ms} ms`);
    assert.equal(code, 1, output(pg));
    assert.ok(ms < 3_000, `exited ${ms} ms after the second signal`);
    assert.match(pg.stdout(), /SIGTERM again: killing the playground’s processes/);
    // SIGKILL went out before the exit; give the kernel a moment to finish them.
    await until('no agent left', () => (agentsOf(dir, [pg.api]).length === 0 ? true : undefined), 2_000);
  });

  it('after kill -9 (mid-converge, then once up) the next start stops the leftovers and brings up nodes DNS answers with', async () => {
    const dir = newDir();

    // kill -9 while the first converge starts nodes: its `up` holds the stacks' locks.
    const first = await start(dir);
    await until('the first agent', () => first.pidOf('jp-svc-plus-1'), 60_000);
    first.child.kill('SIGKILL');
    await exited(first.child, 5_000);
    // The orphaned `pulumi up` notices its program is gone and exits, leaving its locks.
    await sleep(1_000);
    const left = agentsOf(dir, [first.api]);
    const leftLocks = locks(dir);
    console.log(`# kill -9 mid-converge left ${left.length} agent(s) and ${leftLocks.length} stack lock(s)`);

    let spawned = Date.now();
    const second = await start(dir);
    await bothActive(second, RESTART_MS, left);
    console.log(`# restart after kill -9 mid-converge: both nodes active ${Date.now() - spawned} ms after the start`);
    for (const pid of left) {
      assert.match(second.stdout(), new RegExp(`found node \\S+ \\(pid ${pid}\\) left running by an earlier playground`), output(second));
      assert.equal(alive(pid), false);
    }
    if (leftLocks.length > 0) assert.match(second.stdout(), /removed a stale lock of stack (jp|sg)/, output(second));

    // kill -9 once up: its agents keep running, heartbeating an API that is gone.
    const old = ['jp-svc-plus-1', 'sg-svc-plus-1'].map((n) => second.pidOf(n) ?? -1);
    second.child.kill('SIGKILL');
    await exited(second.child, 5_000);
    assert.ok(old.every(alive), 'the agents outlive a kill -9 of their playground');

    spawned = Date.now();
    const third = await start(dir);
    for (const pid of old) assert.match(third.stdout(), new RegExp(`found node \\S+ \\(pid ${pid}\\) left running by an earlier playground`), output(third));
    assert.ok(!old.some(alive), 'the leftovers are stopped before the control plane starts');
    await bothActive(third, RESTART_MS - (Date.now() - spawned), old);
    const activeMs = Date.now() - spawned;
    // Weights are 100 (jp) to 10 (sg): 20 queries a round see sg within a few rounds.
    const ips = new Set<string>();
    await until(
      'DNS answering with both new nodes',
      async () => {
        for (const ip of await third.answers(20)) ips.add(ip);
        return ips.has('127.1.1.1') && ips.has('127.2.1.1') ? true : undefined;
      },
      RESTART_MS - (Date.now() - spawned),
    );
    console.log(`# restart after kill -9 once up: both nodes active after ${activeMs} ms, DNS answers with both after ${Date.now() - spawned} ms`);

    const sent = Date.now();
    third.child.kill('SIGTERM');
    assert.equal(await exited(third.child, STOP_MS), 0, output(third));
    console.log(`# SIGTERM: exit 0 after ${Date.now() - sent} ms`);
    assert.deepEqual(agentsOf(dir, [first.api, second.api, third.api]), []);
  });
});
