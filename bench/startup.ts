// npm run bench:startup — how fast the `xplane` command starts and how much
// memory its long-running commands hold, each measured side by side with a
// bare `node -e 0` in the same run (the machine is shared and noisy: the ratio
// is the figure, not the milliseconds). Targets (issue 12): `--version` and
// `--help` ≤ 3 × bare node, `validate` of the example ≤ 5 ×, an idle `agent`
// ≤ 70 MB RSS after 60 s, an idle `serve` ≤ 150 MB.
//
//   npm run bench:startup                     # this checkout (runs `npm run build` first)
//   npm run bench:startup -- --before DIR     # also DIR, another checkout, in the same run
//   BENCH_RUNS=10 BENCH_IDLE_S=60             # the defaults
//
// Needs: node, git (for serve's bare repo). Results: bench/results/startup.{json,md}.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { makeGitFixture } from '../src/testing/index.js';
import { ROOT, freePort, progress, writeResults } from '../test/helpers/serve.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const { values } = parseArgs({ options: { before: { type: 'string' } } });

/** One checkout to measure: its root and what it is called in the results. */
interface Subject {
  label: string;
  root: string;
}

interface Stats {
  min: number;
  median: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** Wall time of one run of `node args`, in ms; throws when it fails. */
function timeRun(args: string[], cwd: string): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

/** The current resident set size of a process, in MB (MiB). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN') / 1024;
}

/** Starts `node args`, waits `seconds`, reads its RSS, stops it. */
async function idleRss(args: string[], cwd: string, env: Record<string, string>, seconds: number): Promise<number> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([new Promise((r) => setTimeout(r, seconds * 1_000)), exited]);
  if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} exited early (${child.exitCode}): ${stderr}`);
  const mb = rssMiB(child.pid ?? 0);
  child.kill('SIGTERM');
  await exited;
  return Math.round(mb * 10) / 10;
}

const commands: { name: string; args: (root: string) => string[]; target: number }[] = [
  { name: 'xplane --version', args: (root) => [join(root, 'bin/xplane.js'), '--version'], target: 3 },
  { name: 'xplane --help', args: (root) => [join(root, 'bin/xplane.js'), '--help'], target: 3 },
  { name: 'xplane validate (the example)', args: (root) => [join(root, 'bin/xplane.js'), 'validate', root], target: 5 },
];

const subjects: Subject[] = [{ label: 'this checkout', root: ROOT }];
if (values.before) subjects.push({ label: `before (${values.before})`, root: resolve(values.before) });

progress('npm run build');
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Interleaved rounds: each round runs bare node, then every command of every subject once,
// so a burst of load on the shared machine hits all of them alike.
const samples = new Map<string, number[]>();
const add = (key: string, ms: number): void => {
  samples.set(key, [...(samples.get(key) ?? []), ms]);
};
for (let i = 0; i < RUNS; i += 1) {
  add('node -e 0', timeRun(['-e', '0'], ROOT));
  for (const subject of subjects) for (const c of commands) add(`${subject.label}\0${c.name}`, timeRun(c.args(subject.root), subject.root));
  progress(`round ${i + 1}/${RUNS}`);
}
const bare = stats(samples.get('node -e 0') ?? []);

interface Row {
  subject: string;
  command: string;
  ms: Stats;
  ratio: number;
  target: number;
  met: boolean;
}
const rows: Row[] = [];
for (const subject of subjects) {
  for (const c of commands) {
    const ms = stats(samples.get(`${subject.label}\0${c.name}`) ?? []);
    const ratio = Math.round((ms.median / bare.median) * 100) / 100;
    rows.push({ subject: subject.label, command: c.name, ms, ratio, target: c.target, met: ratio <= c.target });
  }
}

// Memory: an idle agent (no server to reach: it keeps retrying its registration, which is its
// idle loop) and an idle serve on a bare repo seeded with the example.
interface MemRow {
  subject: string;
  what: string;
  rssMiB: number;
  targetMiB: number;
  met: boolean;
}
const mem: MemRow[] = [];
const fixture = makeGitFixture();
const state = mkdtempSync(join(tmpdir(), 'xplane-bench-startup-'));
try {
  for (const subject of subjects) {
    const deadPort = await freePort();
    progress(`${subject.label}: idle agent for ${IDLE_S} s`);
    const agentRss = await idleRss(
      [
        join(subject.root, 'bin/xplane.js'),
        'agent',
        '--server',
        `http://127.0.0.1:${deadPort}`,
        '--token',
        'x',
        '--service',
        'svc-plus',
        '--region',
        'jp',
        '--address',
        '127.0.0.1:0',
      ],
      subject.root,
      { XPLANE_LOG_LEVEL: 'warn' },
      IDLE_S,
    );
    mem.push({ subject: subject.label, what: `idle xplane agent after ${IDLE_S} s`, rssMiB: agentRss, targetMiB: 70, met: agentRss <= 70 });
    const port = await freePort();
    progress(`${subject.label}: idle serve for ${IDLE_S} s`);
    const serveRss = await idleRss(
      [
        join(subject.root, 'bin/xplane.js'),
        'serve',
        '--repo',
        fixture.bare,
        '--db',
        join(state, `${mem.length}.db`),
        '--workdir',
        join(state, `work-${mem.length}`),
        '--listen',
        `127.0.0.1:${port}`,
        '--dns-listen',
        '127.0.0.1:0',
      ],
      subject.root,
      { XPLANE_BOOTSTRAP_TOKEN: 'b', XPLANE_ADMIN_TOKEN: 'a', XPLANE_LOG_LEVEL: 'warn' },
      IDLE_S,
    );
    mem.push({ subject: subject.label, what: `idle xplane serve after ${IDLE_S} s`, rssMiB: serveRss, targetMiB: 150, met: serveRss <= 150 });
  }
} finally {
  fixture.cleanup();
  rmSync(state, { recursive: true, force: true });
}

const machine = { node: process.version, cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), runs: RUNS, idleSeconds: IDLE_S };
const f = (x: number): string => x.toFixed(0);
const md = [
  '# bench:startup',
  '',
  `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadavg.join(' / ')} at the end; ${RUNS} interleaved rounds.`,
  `Bare \`node -e 0\`: ${f(bare.min)} / ${f(bare.median)} / ${f(bare.max)} ms (min / median / max).`,
  '',
  '| checkout | command | min / median / max ms | median ÷ bare node | target | met |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.subject} | \`${r.command}\` | ${f(r.ms.min)} / ${f(r.ms.median)} / ${f(r.ms.max)} | ${r.ratio} × | ≤ ${r.target} × | ${r.met ? 'yes' : 'no'} |`,
  ),
  '',
  '| checkout | process | RSS | target | met |',
  '| --- | --- | --- | --- | --- |',
  ...mem.map((m) => `| ${m.subject} | ${m.what} | ${m.rssMiB} MiB | ≤ ${m.targetMiB} MB | ${m.met ? 'yes' : 'no'} |`),
  '',
].join('\n');
writeResults('startup', { machine, bare, rows, mem }, md);
process.stdout.write(md);
