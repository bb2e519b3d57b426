import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadDeclarations } from '../config/index.js';
import { REPO_ROOT } from '../testing/index.js';
import { ensurePlaygroundRepo } from './demo.js';
import {
  agentNode,
  clearLeftovers,
  demoDir,
  describeLeftovers,
  livePlayground,
  localNodeAddresses,
  localStateDir,
  nodesDir,
  planLeftovers,
  type Blocker,
  wantedNodeAddresses,
  type LeftoverFacts,
} from './leftovers.js';
import { readProcess, type ProcessInfo } from './proc.js';
import { writePlaygroundRepo } from './seed.js';

const STATE = '/pg/checkout/.xplane/local';
const agent = (pid: number, node: string, cwd: string | null = STATE): ProcessInfo => ({
  pid,
  ppid: 1,
  args: ['node', '/x/bin/xplane.js', 'agent', '--simulate-load', '--name', node, '--server', 'http://127.0.0.1:7070'],
  cwd,
});
const other = (pid: number, ...args: string[]): ProcessInfo => ({ pid, ppid: 1, args, cwd: '/home/someone' });
const facts = (f: Partial<LeftoverFacts>): LeftoverFacts => ({ stateDir: STATE, pidFiles: [], processes: [], blockers: [], ...f });

describe('agentNode', () => {
  it('reads the node of an agent command line and nothing else', () => {
    assert.equal(agentNode(agent(1, 'jp-svc-plus-1').args), 'jp-svc-plus-1');
    assert.equal(agentNode(['node', 'server.js', '--name', 'jp-svc-plus-1']), undefined);
    assert.equal(agentNode(['node', 'bin/xplane.js', 'agent']), undefined);
  });
});

describe('planLeftovers', () => {
  it('stops every agent of this playground, with or without a pid file', () => {
    const plan = planLeftovers(facts({ pidFiles: [{ node: 'jp-svc-plus-1', pid: 10 }], processes: [agent(10, 'jp-svc-plus-1'), agent(11, 'sg-svc-plus-1')] }));
    assert.deepEqual(plan, {
      stop: [
        { node: 'jp-svc-plus-1', pid: 10 },
        { node: 'sg-svc-plus-1', pid: 11 },
      ],
      forget: [],
      blocked: [],
    });
  });

  it('leaves alone an agent of the same node name that another playground runs', () => {
    const plan = planLeftovers(facts({ processes: [agent(20, 'jp-svc-plus-1', '/elsewhere/checkout/.xplane/local'), agent(21, 'jp-svc-plus-1', null)] }));
    assert.deepEqual(plan.stop, []);
  });

  it('forgets a pid file whose pid now runs another program, and leaves that program alone', () => {
    const editor = other(30, 'vim', 'notes.txt');
    const plan = planLeftovers(facts({ pidFiles: [{ node: 'jp-svc-plus-1', pid: 30 }], processes: [editor] }));
    assert.deepEqual(plan.stop, []);
    assert.deepEqual(plan.forget, [{ node: 'jp-svc-plus-1', pid: 30, other: editor }]);
    assert.deepEqual(describeLeftovers(plan, 'start'), [
      'jp-svc-plus-1.pid names pid 30, which now runs something else (vim notes.txt): leaving that process alone',
    ]);
  });

  it('forgets a pid file whose pid is another node’s agent, without stopping it twice', () => {
    const plan = planLeftovers(facts({ pidFiles: [{ node: 'jp-svc-plus-1', pid: 11 }], processes: [agent(11, 'sg-svc-plus-1')] }));
    assert.deepEqual(plan.stop, [{ node: 'sg-svc-plus-1', pid: 11 }]);
    assert.deepEqual(
      plan.forget.map((f) => f.node),
      ['jp-svc-plus-1'],
    );
  });

  it('forgets a stale pid file (its process is gone) quietly', () => {
    const plan = planLeftovers(
      facts({
        pidFiles: [
          { node: 'jp-svc-plus-1', pid: 40 },
          { node: 'sg-svc-plus-1', pid: NaN },
        ],
      }),
    );
    assert.deepEqual(plan.forget, [
      { node: 'jp-svc-plus-1', pid: 40, other: null },
      { node: 'sg-svc-plus-1', pid: NaN, other: null },
    ]);
    assert.deepEqual(describeLeftovers(plan, 'start'), []);
  });

  it('reports an address another program holds and never stops that program', () => {
    const web = other(50, 'python3', '-m', 'http.server', '--bind', '127.1.1.1', '8080');
    const blockers: Blocker[] = [
      { node: 'jp-svc-plus-1', address: '127.1.1.1:8080', inode: 7, holder: web },
      { node: 'sg-svc-plus-1', address: '127.2.1.1:8080', inode: 8, holder: null },
    ];
    const plan = planLeftovers(facts({ processes: [web], blockers }));
    assert.deepEqual(plan.stop, []);
    assert.deepEqual(plan.blocked, blockers);
    assert.deepEqual(describeLeftovers(plan, 'start'), [
      '127.1.1.1:8080, the address of node jp-svc-plus-1, is held by pid 50: python3 -m http.server --bind 127.1.1.1 8080 — not this playground’s, so it is left alone and jp-svc-plus-1 cannot start until it is stopped',
      '127.2.1.1:8080, the address of node sg-svc-plus-1, is held by a process this user cannot look into (socket inode 8) — not this playground’s, so it is left alone and sg-svc-plus-1 cannot start until it is stopped',
    ]);
  });

  it('stops (and does not report) an address holder that is this playground’s own agent', () => {
    const own = agent(60, 'jp-svc-plus-1');
    const plan = planLeftovers(facts({ processes: [own], blockers: [{ node: 'jp-svc-plus-1', address: '127.1.1.1:8080', inode: 9, holder: own }] }));
    assert.deepEqual(plan.stop, [{ node: 'jp-svc-plus-1', pid: 60 }]);
    assert.deepEqual(plan.blocked, []);
    assert.deepEqual(describeLeftovers(plan, 'start'), [
      'found node jp-svc-plus-1 (pid 60) left running by an earlier playground in this directory: stopping it',
    ]);
  });

  it('plans nothing for a clean directory', () => {
    assert.deepEqual(planLeftovers(facts({ processes: [other(1, 'init')] })), { stop: [], forget: [], blocked: [] });
  });
});

describe('demoDir and livePlayground', () => {
  const demo = (pid: number, ppid: number, cwd: string, ...rest: string[]): ProcessInfo => ({
    pid,
    ppid,
    args: ['node', 'bin/xplane.js', 'demo', ...rest],
    cwd,
  });

  it('resolves --dir, --dir= and the default against the process’s working directory', () => {
    assert.equal(demoDir(demo(1, 0, '/work', '--dir', 'pg')), '/work/pg');
    assert.equal(demoDir(demo(1, 0, '/work', '--dir=/tmp/pg')), '/tmp/pg');
    assert.equal(demoDir(demo(1, 0, '/work')), '/work/.xplane/demo');
    assert.equal(demoDir({ pid: 1, ppid: 0, args: ['sh', '-c', 'node bin/xplane.js demo'], cwd: '/work' }), undefined);
    assert.equal(demoDir({ pid: 1, ppid: 0, args: ['node', 'other.js', 'demo'], cwd: '/work' }), undefined);
  });

  it('finds another playground in the same directory, but not this process or the npx that runs it', () => {
    const npx = { pid: 5, ppid: 1, args: ['node', '/usr/bin/npx', 'xplane', 'demo'], cwd: '/work' };
    const self = demo(6, 5, '/work');
    assert.equal(livePlayground('/work/.xplane/demo', [npx, self], 6), undefined);
    const twin = demo(9, 1, '/work', '--dir', '.xplane/demo');
    assert.equal(livePlayground('/work/.xplane/demo', [npx, self, twin], 6), twin);
    assert.equal(livePlayground('/work/other', [npx, self, twin], 6), undefined);
  });
});

describe('localNodeAddresses', () => {
  it('gives the seeded playground’s two nodes the addresses the program gives them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-seed-'));
    try {
      await writePlaygroundRepo(REPO_ROOT, dir);
      const loaded = await loadDeclarations(dir);
      assert.ok(loaded.ok);
      assert.deepEqual(
        localNodeAddresses(loaded.declarations).sort((a, b) => a.node.localeCompare(b.node)),
        [
          { node: 'jp-svc-plus-1', address: '127.1.1.1:8080' },
          { node: 'sg-svc-plus-1', address: '127.2.1.1:8080' },
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wantedNodeAddresses', () => {
  it('reads the node addresses from the tip of the playground’s bare repo, and none from a branch it lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-wanted-'));
    try {
      const bare = await ensurePlaygroundRepo(dir);
      assert.deepEqual((await wantedNodeAddresses(bare, 'main')).map((a) => a.address).sort(), ['127.1.1.1:8080', '127.2.1.1:8080']);
      assert.deepEqual(await wantedNodeAddresses(bare, 'no-such-branch'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clearLeftovers', { skip: process.platform === 'linux' ? false : 'no /proc here' }, () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // A stand-in for an agent: a node process with an agent's arguments, started where the provider starts agents.
  const fakeAgent = (cwd: string, node: string): ChildProcess => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', 'agent', '--name', node], { cwd, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const started = async (child: ChildProcess): Promise<number> => {
    for (let i = 0; i < 100 && !readProcess(child.pid ?? -1)?.args.includes('agent'); i += 1) await new Promise((r) => setTimeout(r, 20));
    return child.pid ?? -1;
  };

  it('stops this playground’s agents, forgets a recycled pid file, and leaves another playground’s agent and address holders alone', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xplane-leftovers-')));
    const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'xplane-leftovers-other-')));
    dirs.push(dir, elsewhere);
    mkdirSync(nodesDir(dir), { recursive: true });
    const ours = await started(fakeAgent(localStateDir(dir), 'lab-svc-1'));
    const theirs = await started(fakeAgent(elsewhere, 'lab-svc-1'));
    writeFileSync(join(nodesDir(dir), 'lab-svc-1.pid'), `${ours}\n`);
    // A pid file left from long ago whose pid is now this test runner.
    writeFileSync(join(nodesDir(dir), 'lab-svc-2.pid'), `${process.pid}\n`);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.9.9.8', resolve));
    const port = (blocker.address() as { port: number }).port;
    const lines: string[] = [];
    try {
      const plan = await clearLeftovers(dir, [{ node: 'lab-svc-3', address: `127.9.9.8:${port}` }], 'start', (l) => lines.push(l));
      assert.deepEqual(plan.stop, [{ node: 'lab-svc-1', pid: ours }]);
      assert.equal(readProcess(ours), null, 'our leftover is gone');
      assert.ok(readProcess(theirs), 'the other playground’s agent still runs');
      assert.ok(existsSync(join(nodesDir(dir), 'lab-svc-1.pid')), 'kept: the provider overwrites it when it starts the node again');
      assert.ok(!existsSync(join(nodesDir(dir), 'lab-svc-2.pid')));
      assert.equal(lines[0], `found node lab-svc-1 (pid ${ours}) left running by an earlier playground in this directory: stopping it`);
      assert.match(lines[1] ?? '', new RegExp(`^lab-svc-2\\.pid names pid ${process.pid}, which now runs something else`));
      assert.match(lines[2] ?? '', new RegExp(`^127\\.9\\.9\\.8:${port}, the address of node lab-svc-3, is held by pid ${process.pid}: `));
      assert.equal(lines.length, 3);
    } finally {
      blocker.close();
    }
  });
});
