// npm run bench:takeover — leader takeover with real processes: three
// `xplane serve` replicas on one real PostgreSQL and a bare Git remote seeded
// with the example. Each cycle stops the current leader — `kill -9`, or
// SIGTERM (a clean stop that releases the lease) — and times, polling every
// 20 ms, until another replica's /metrics shows `xplane_leader 1`, and how
// long /v1/nodes through each surviving replica answers 503. A replacement
// replica starts after each cycle, so there are always three.
// Bound: after a kill, the lease lapses at most lease_ttl after the leader's
// last renewal and a follower tries every lease_ttl/3, so takeover <=
// lease_ttl + lease_ttl/3 < 2 × lease_ttl; after a SIGTERM, the next try
// (<= lease_ttl/3) after the release.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeGitFixture, freshPostgresDb, postgresSkipReason, seededRandom } from '../src/testing/index.js';
import { leaderGauge, progress, startServe, writeResults, type ServeProcess } from '../test/helpers/serve.js';

const BOOTSTRAP = 'bench-bootstrap';
const ADMIN = 'bench-admin';
const POLL_MS = 20;
const REPLICAS = 3;
/** The 10 s phase runs only when the whole benchmark is expected to end within this. */
const BUDGET_MS = 4 * 60_000;

/** One lease length and how many cycles of each kind to run with it. */
interface Phase {
  leaseMs: number;
  kills: number;
  terms: number;
}
const SHORT: Phase = { leaseMs: 2_000, kills: Number(process.env.BENCH_KILLS ?? 8), terms: Number(process.env.BENCH_TERMS ?? 8) };
const LONG: Phase = { leaseMs: 10_000, kills: Number(process.env.BENCH_LONG_KILLS ?? 3), terms: Number(process.env.BENCH_LONG_TERMS ?? 2) };

type Stop = 'kill' | 'term';

/** What /v1/nodes answered through one surviving replica after the stop. */
interface Window {
  /** ms after the stop of the first answer other than 200, or null when every answer was 200. */
  firstNon200Ms: number | null;
  /** ms after the stop of the first 200 after that, or null when it never came. */
  answersAgainMs: number | null;
  /** answersAgainMs - firstNon200Ms: how long the API was unavailable there (0 when it never was). */
  unavailableMs: number | null;
  /** Answers by HTTP status ("error" when the request itself failed). */
  statuses: Record<string, number>;
}

/** One stop of the leader. */
interface Cycle {
  leaseMs: number;
  stop: Stop;
  /** ms from the signal to the first /metrics answer with xplane_leader 1 on a survivor, or null on timeout. */
  takeoverMs: number | null;
  /** ms from the signal to the stopped process's exit. */
  exitMs: number | null;
  /** ms waited after the cluster was steady before the signal, to vary the phase against the renewals. */
  delayMs: number;
  /** /v1/nodes through the survivor that took over. */
  viaNewLeader: Window;
  /** /v1/nodes through the survivor that stayed a follower (it forwards; it learns the new leader on its next try). */
  viaFollower: Window;
}

/** min / median / max of a list of ms, whole ms; null figures when the list is empty. */
function summary(values: readonly (number | null)[]): { n: number; min: number | null; median: number | null; max: number | null } {
  const s = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, min: null, median: null, max: null };
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { n: s.length, min: s[0] ?? 0, median: Math.round(median), max: s[s.length - 1] ?? 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The one replica that reports xplane_leader 1 while every other reports 0, polled until `timeoutMs`. */
async function steadyLeader(replicas: readonly ServeProcess[], timeoutMs: number): Promise<ServeProcess> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const gauges = await Promise.all(replicas.map(leaderGauge));
    const leaders = replicas.filter((_, i) => gauges[i] === 1);
    if (leaders.length === 1 && gauges.every((g) => g === 0 || g === 1) && leaders[0]) return leaders[0];
    await sleep(POLL_MS);
  }
  throw new Error(`no single leader among ${replicas.length} replicas within ${timeoutMs} ms`);
}

/**
 * Polls GET /v1/nodes through `replica` every 20 ms from `t0` on: the first non-200 answer opens the
 * window and the first 200 after it closes it. Gives up waiting for a window once `quiet()` says the
 * takeover is long past, and polls no longer than `timeoutMs`.
 */
async function watchApi(replica: ServeProcess, t0: number, quiet: (at: number) => boolean, timeoutMs: number): Promise<Window> {
  const w: Window = { firstNon200Ms: null, answersAgainMs: null, unavailableMs: null, statuses: {} };
  while (performance.now() - t0 < timeoutMs) {
    let status: string;
    try {
      const res = await fetch(`${replica.url}/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      status = String(res.status);
    } catch {
      status = 'error';
    }
    const at = Math.round(performance.now() - t0);
    w.statuses[status] = (w.statuses[status] ?? 0) + 1;
    if (status !== '200' && w.firstNon200Ms === null) w.firstNon200Ms = at;
    if (status === '200' && w.firstNon200Ms !== null) {
      w.answersAgainMs = at;
      w.unavailableMs = at - w.firstNon200Ms;
      return w;
    }
    if (status === '200' && quiet(at)) {
      w.unavailableMs = 0;
      return w;
    }
    await sleep(POLL_MS);
  }
  return w;
}

/** Times until one of `survivors` reports xplane_leader 1; answers its index and the ms, or null on timeout. */
async function watchTakeover(survivors: readonly ServeProcess[], t0: number, timeoutMs: number): Promise<{ index: number; ms: number } | null> {
  while (performance.now() - t0 < timeoutMs) {
    const gauges = await Promise.all(survivors.map(leaderGauge));
    const index = gauges.indexOf(1);
    if (index >= 0) return { index, ms: Math.round(performance.now() - t0) };
    await sleep(POLL_MS);
  }
  return null;
}

const db = await freshPostgresDb();
if (!db) {
  console.error(`bench:takeover needs PostgreSQL: ${postgresSkipReason()}`);
  process.exit(1);
}
const began = performance.now();
const state = mkdtempSync(join(tmpdir(), 'xplane-bench-takeover-'));
const fixture = makeGitFixture();
const random = seededRandom(20261122);
const replicas: ServeProcess[] = [];
const startupsMs: number[] = [];
let started = 0;

/** Starts one more replica with lease `leaseMs` and waits until it is ready (it sees a leader). */
async function startReplica(leaseMs: number): Promise<ServeProcess> {
  started += 1;
  const name = `r${started}`;
  const t = performance.now();
  const replica = await startServe(
    [
      '--repo',
      fixture.bare,
      '--db',
      db?.url ?? '',
      '--workdir',
      join(state, name, 'work'),
      '--sync-interval',
      '1s',
      '--reconcile-interval',
      '1s',
      '--lease-ttl',
      `${leaseMs}ms`,
    ],
    { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_LOG_LEVEL: 'warn' },
  );
  startupsMs.push(Math.round(performance.now() - t));
  replicas.push(replica);
  return replica;
}

/** Stops the current leader with `stop` and measures; leaves three replicas running again. */
async function cycle(leaseMs: number, stop: Stop): Promise<Cycle> {
  const leader = await steadyLeader(replicas, 4 * leaseMs);
  const survivors = replicas.filter((r) => r !== leader);
  const [s0, s1] = survivors;
  if (!s0 || !s1) throw new Error('expected two survivors');
  // A random point within one renewal period, so kills land at every phase of the leader's renewals.
  const delayMs = Math.round(random() * (leaseMs / 3));
  await sleep(delayMs);

  const t0 = performance.now();
  const exited = new Promise<number>((resolve) => leader.child.once('exit', () => resolve(Math.round(performance.now() - t0))));
  leader.child.kill(stop === 'kill' ? 'SIGKILL' : 'SIGTERM');
  const timeoutMs = 4 * leaseMs;
  let takeoverAt: number | null = null;
  // A survivor that never saw a 503 is done once the other followers' next try (lease/3) is well past the takeover.
  const quiet = (at: number): boolean => takeoverAt !== null && at > takeoverAt + leaseMs / 3 + 500;
  const takeoverP = watchTakeover(survivors, t0, timeoutMs).then((t) => {
    takeoverAt = t?.ms ?? null;
    return t;
  });
  const [takeover, w0, w1] = await Promise.all([takeoverP, watchApi(s0, t0, quiet, timeoutMs + leaseMs), watchApi(s1, t0, quiet, timeoutMs + leaseMs)]);
  const exitMs = await Promise.race([exited, sleep(15_000).then(() => null)]);
  replicas.splice(replicas.indexOf(leader), 1);
  if (exitMs === null) leader.child.kill('SIGKILL');

  const newLeaderIs0 = takeover?.index !== 1;
  await startReplica(leaseMs);
  return {
    leaseMs,
    stop,
    takeoverMs: takeover?.ms ?? null,
    exitMs,
    delayMs,
    viaNewLeader: newLeaderIs0 ? w0 : w1,
    viaFollower: newLeaderIs0 ? w1 : w0,
  };
}

/** Runs one phase: three replicas with `phase.leaseMs`, its kill cycles, then its SIGTERM cycles; stops them all. */
async function runPhase(phase: Phase): Promise<Cycle[]> {
  progress(`lease_ttl ${phase.leaseMs} ms: starting ${REPLICAS} replicas on ${db?.name}`);
  for (let i = 0; i < REPLICAS; i += 1) await startReplica(phase.leaseMs);
  const cycles: Cycle[] = [];
  for (const [stop, count] of [
    ['kill', phase.kills],
    ['term', phase.terms],
  ] as const) {
    for (let k = 0; k < count; k += 1) {
      const c = await cycle(phase.leaseMs, stop);
      cycles.push(c);
      const w = (x: Window): string => (x.unavailableMs === null ? 'never answered again' : `${x.unavailableMs} ms`);
      progress(
        `  lease ${phase.leaseMs} ms, ${stop === 'kill' ? 'kill -9' : 'SIGTERM'} ${k + 1}/${count}: takeover ${c.takeoverMs ?? 'timeout'} ms ` +
          `(bound ${2 * phase.leaseMs}); /v1/nodes 503 via follower ${w(c.viaFollower)}, via new leader ${w(c.viaNewLeader)}; exit ${c.exitMs ?? '-'} ms`,
      );
    }
  }
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  return cycles;
}

try {
  const short = await runPhase(SHORT);
  const elapsed = performance.now() - began;
  const startup = Math.max(...startupsMs);
  // Per kill: up to 4/3 lease to take over, up to 1/3 more for the follower's window, a random wait of up to 1/3, a restart.
  const longEstimate = REPLICAS * startup + LONG.kills * (2 * LONG.leaseMs + startup) + LONG.terms * (LONG.leaseMs + startup);
  const runLong = process.env.BENCH_LONG !== '0' && LONG.kills + LONG.terms > 0 && elapsed + longEstimate < BUDGET_MS;
  let long: Cycle[] = [];
  let longSkipped: string | null = null;
  if (runLong) long = await runPhase(LONG);
  else {
    longSkipped =
      process.env.BENCH_LONG === '0'
        ? 'BENCH_LONG=0'
        : `estimated ${Math.round(longEstimate / 1000)} s more after ${Math.round(elapsed / 1000)} s, over the ${BUDGET_MS / 1000} s budget`;
    progress(`skipping lease_ttl ${LONG.leaseMs} ms: ${longSkipped}`);
  }

  const all = [...short, ...long];
  const scenarios = [SHORT, LONG].flatMap((phase) =>
    (['kill', 'term'] as const).flatMap((stop) => {
      const cs = all.filter((c) => c.leaseMs === phase.leaseMs && c.stop === stop);
      if (cs.length === 0) return [];
      const takeover = summary(cs.map((c) => c.takeoverMs));
      return [
        {
          leaseMs: phase.leaseMs,
          stop,
          cycles: cs.length,
          takeoverMs: takeover,
          expectedMaxMs: stop === 'kill' ? Math.round(phase.leaseMs + phase.leaseMs / 3) : Math.round(phase.leaseMs / 3),
          boundMs: 2 * phase.leaseMs,
          withinBound: cs.every((c) => c.takeoverMs !== null && c.takeoverMs <= 2 * phase.leaseMs),
          unavailableViaFollowerMs: summary(cs.map((c) => c.viaFollower.unavailableMs)),
          unavailableViaNewLeaderMs: summary(cs.map((c) => c.viaNewLeader.unavailableMs)),
          exitMs: summary(cs.map((c) => c.exitMs)),
        },
      ];
    }),
  );
  const results = {
    benchmark: 'takeover',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
    method: { replicas: REPLICAS, pollMs: POLL_MS, syncInterval: '1s', reconcileInterval: '1s', store: 'PostgreSQL', replicaStartupMs: summary(startupsMs) },
    scenarios,
    longPhaseSkipped: longSkipped,
    cycles: all,
    durationS: Math.round((performance.now() - began) / 1000),
  };

  const ms = (v: number | null): string => (v === null ? '–' : String(v));
  const mmm = (s: { min: number | null; median: number | null; max: number | null }): string => `${ms(s.min)} / ${ms(s.median)} / ${ms(s.max)}`;
  const stopName = (s: Stop): string => (s === 'kill' ? '`kill -9`' : 'SIGTERM');
  const statuses = (w: Window): string =>
    Object.entries(w.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
  const md = `# bench:takeover

${results.date} — ${results.machine.cpus} × ${results.machine.model}, Node ${process.version}, load ${results.machine.loadavg.join(' ')} at the end; ${results.durationS} s in all

${REPLICAS} real \`xplane serve\` replicas on one real PostgreSQL (a fresh database) and a bare Git remote seeded with
the example (\`--sync-interval 1s --reconcile-interval 1s\`), on 127.0.0.1. Each cycle stops the current leader, after
a random wait within one renewal period so the stop lands at any phase of its renewals, and polls every ${POLL_MS} ms:

- **takeover**: from the signal to the first \`/metrics\` answer of a surviving replica with \`xplane_leader 1\`
  (it reads 1 as soon as the replica holds the lease, before its controllers have started);
- **/v1/nodes unavailable**: through each survivor, from its first answer other than 200 to its next 200 (0 when it
  never failed). The survivor that stays a follower forwards to the leader it last read from the store; when that
  one does not answer it asks the store again at once (\`Leadership.poke\`), so it answers 503 about as long as
  nobody leads.

A replacement replica starts after each cycle, so every stop finds three.

Where the bounds come from: the leader renews every \`lease_ttl / 3\`, and the store sets the lease to expire
\`lease_ttl\` after each renewal, so after a \`kill -9\` the lease lapses between \`2/3 × lease_ttl\` and \`lease_ttl\` later;
the followers try every \`lease_ttl / 3\`, so one takes it within \`lease_ttl + lease_ttl / 3\` of the kill, under the
documented bound \`2 × lease_ttl\`. A follower whose forward to the dead leader fails asks the store at once, so
traffic through a follower can take a lapsed lease sooner than its next timed try. A SIGTERM releases the lease
(after the leader's controllers stop): the next try or the first failed forward takes it, within \`lease_ttl / 3\`
plus the shutdown.

| lease_ttl | stop | cycles | takeover min / median / max | expected max | bound 2 × lease_ttl | /v1/nodes unavailable via the follower | via the new leader | old process exits after |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${scenarios
  .map(
    (s) =>
      `| ${s.leaseMs / 1000} s | ${stopName(s.stop)} | ${s.cycles} | ${mmm(s.takeoverMs)} ms | ${s.expectedMaxMs} ms | ${s.boundMs} ms (${s.withinBound ? 'met' : '**not met**'}) | ${mmm(s.unavailableViaFollowerMs)} ms | ${mmm(s.unavailableViaNewLeaderMs)} ms | ${mmm(s.exitMs)} ms |`,
  )
  .join('\n')}
${longSkipped ? `\nThe ${LONG.leaseMs / 1000} s phase was skipped: ${longSkipped}.\n` : ''}
Reading the figures: a survivor that takes over answers again as soon as it leads. The one that stays a follower
answers 503 while its forwards fail; each failure makes it ask the store again (at most every 100 ms), so it
follows the new leader within about 100 ms of the takeover. Agents retry (\`Retry-After: 1\`).

Replica start-up (spawn to \`/readyz\` 200), min / median / max: ${mmm(results.method.replicaStartupMs)} ms.

| # | lease_ttl | stop | wait ms | takeover ms | via follower: unavailable ms (answers) | via new leader: unavailable ms (answers) | exit ms |
| --- | --- | --- | --- | --- | --- | --- | --- |
${all
  .map(
    (c, i) =>
      `| ${i + 1} | ${c.leaseMs / 1000} s | ${stopName(c.stop)} | ${c.delayMs} | ${ms(c.takeoverMs)} | ${ms(c.viaFollower.unavailableMs)} (${statuses(c.viaFollower)}) | ${ms(c.viaNewLeader.unavailableMs)} (${statuses(c.viaNewLeader)}) | ${ms(c.exitMs)} |`,
  )
  .join('\n')}
`;
  const path = writeResults('takeover', results, md);
  console.log(md);
  console.log(`results: ${path}`);
  if (!scenarios.every((s) => s.withinBound)) process.exitCode = 1;
} finally {
  await Promise.all(replicas.splice(0).map((r) => r.stop()));
  fixture.cleanup();
  rmSync(state, { recursive: true, force: true });
  await db.drop();
}
