// npm run bench:simulate — how fast `xplane simulate` replays: a 7-day trace of
// svc-plus in jp and sg at 10 s steps (bench/trace-model.ts, seed 19: 60,481
// rows per region) through the production planPass with this repo's
// platform-config/, as `xplane simulate` runs it. The figure is passes (steps:
// one per row time, plus the passes node events bring) per second of the replay itself, over BENCH_ROUNDS rounds (default 5), with
// reading the CSV timed apart. Issue 19 asks for thousands of steps per second:
// a week in seconds.
// Results: bench/results/simulate.{json,md}.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadDeclarations } from '../src/config/index.js';
import { replay, type ReplayResult } from '../src/simulate/index.js';
import { parseTrace } from '../src/trace/index.js';
import { ROOT, progress, writeResults } from '../test/helpers/serve.js';
import { traceCsv } from './trace-model.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DAYS = 7;
const STEP_MS = 10_000;

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}

const loaded = await loadDeclarations(ROOT);
if (!loaded.ok) throw new Error('this repo’s platform-config/ is invalid');
const declarations = loaded.declarations;
const text = traceCsv({ start: Date.UTC(2026, 2, 1, 15, 0, 0), stepMs: STEP_MS, durationMs: DAYS * 24 * 3_600_000, seed: 19 });

const parseMs: number[] = [];
const stepsPerSecond: number[] = [];
const replayMs: number[] = [];
let last: ReplayResult | undefined;
let rowCount = 0;
for (let round = 1; round <= ROUNDS; round += 1) {
  const t0 = performance.now();
  const rows = parseTrace(text, 'week.csv');
  const t1 = performance.now();
  rowCount = rows.length;
  last = replay({ declarations, rows, file: 'week.csv', bootMs: 90_000, intervalMs: 10_000 });
  const t2 = performance.now();
  parseMs.push(t1 - t0);
  replayMs.push(t2 - t1);
  stepsPerSecond.push(last.passes / ((t2 - t1) / 1000));
  progress(
    `round ${round}/${ROUNDS}: parse ${(t1 - t0).toFixed(0)} ms, replay ${(t2 - t1).toFixed(0)} ms, ${last.passes} passes, ${(last.passes / ((t2 - t1) / 1000)).toFixed(0)} steps/s`,
  );
}
if (!last) throw new Error('no round ran');
const sps = stats(stepsPerSecond);
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  node: process.version,
  rounds: ROUNDS,
  trace: { days: DAYS, stepSeconds: STEP_MS / 1000, regions: 2, rows: rowCount, csvBytes: text.length },
  passes: last.passes,
  decisions: last.decisions.length,
  stepsPerSecond: stats(stepsPerSecond),
  replayMs: stats(replayMs),
  parseMs: stats(parseMs),
};
const f0 = (n: number): string => n.toFixed(0);
const markdown = `# bench:simulate

${results.date}, Node ${results.node}, ${results.machine.cpus} CPUs, load ${results.machine.loadavg[0]?.toFixed(2) ?? '?'}. ${ROUNDS} rounds.

A ${DAYS}-day trace of svc-plus in jp and sg at ${STEP_MS / 1000} s steps (bench/trace-model.ts, seed 19; ${results.trace.rows} rows,
${(results.trace.csvBytes / 1e6).toFixed(1)} MB of CSV) replayed through the production planPass with this repo's platform-config/
(boot 90s): ${results.passes} passes, ${results.decisions} decisions.

| figure | min | median | max |
| --- | ---: | ---: | ---: |
| steps (passes) per second | ${f0(sps.min)} | ${f0(sps.median)} | ${f0(sps.max)} |
| replay, ms | ${f0(results.replayMs.min)} | ${f0(results.replayMs.median)} | ${f0(results.replayMs.max)} |
| reading the CSV, ms | ${f0(results.parseMs.min)} | ${f0(results.parseMs.median)} | ${f0(results.parseMs.max)} |
`;
writeResults('simulate', results, markdown);
process.stdout.write(markdown);
