// npm run bench:reconcile — 100 services × 20 regions × 10,000 nodes on the
// real code paths: one reconcile pass as Reconciler.build runs it minus git IO
// (stack files → pools through the parse cache, registry → fleet facts with
// gatherFacts, planPass), steady state and cold, and the write of a pass's decisions
// touching all 20 stack files (applyPoolPatches + commit + push through
// GitWriter against a real bare repository).
// Targets on a 2-core machine: a pass <= 50 ms, a write <= 500 ms.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Declarations, type Pool, loadDeclarations } from '../src/config/index.js';
import { commitMessage, type PoolPatch } from '../src/decision/index.js';
import { GitMirror, GitWriter, parseIdentity, type PlannedCommit } from '../src/gitops/index.js';
import { silentLogger } from '../src/log/index.js';
import { NodeRegistry, type RegionMetrics } from '../src/nodes/index.js';
import {
  emptyMemory,
  gatherFacts,
  patchesByRegion,
  planPass,
  type FleetFacts,
  type LoopMemory,
  type PassInput,
  type PassPlan,
} from '../src/reconcile/index.js';
import { StackCache, applyPoolPatches, readPools, type ParsedStack } from '../src/stacks/index.js';
import { MemoryStore } from '../src/store/index.js';
import { makeGitFixture, seededRandom } from '../src/testing/index.js';
import { progress, writeResults } from '../test/helpers/serve.js';

const SERVICES = 100;
const REGIONS = 20;
const NODES_PER_POOL = 5;
const WARMUP = 3;
const PASS_RUNS = Number(process.env.BENCH_PASS_RUNS ?? 20);
const WRITE_RUNS = Number(process.env.BENCH_WRITE_RUNS ?? 10);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const TARGETS = { passMs: 50, writeMs: 500 };
const STACK_PREFIX = 'stacks/Pulumi.';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const regionNames = Array.from({ length: REGIONS }, (_, i) => `r${pad(i + 1, 2)}`);
const serviceNames = Array.from({ length: SERVICES }, (_, i) => `s${pad(i + 1, 3)}`);
const stackPath = (region: string): string => `${STACK_PREFIX}${region}.yaml`;

/** What the fleet in one (service, region) is doing, so the pass has real work. */
type Profile = 'hot' | 'cold' | 'down' | 'slow' | 'errors' | 'normal';

function profileOf(r: number): Profile {
  if (r < 0.05) return 'hot';
  if (r < 0.1) return 'cold';
  if (r < 0.14) return 'down';
  if (r < 0.18) return 'slow';
  if (r < 0.2) return 'errors';
  return 'normal';
}

const baseWeight = (s: number, r: number): number => 10 + ((s * 7 + r * 13) % 19) * 5;

// ---- the GitOps repo, as YAML files, so loadDeclarations proves they are valid ----

function regionYaml(r: number): string {
  return `name: ${regionNames[r]}
provider: local
node_template: containerd-only
labels: { tier: bench }
cost_per_node_hour: ${(0.01 + r * 0.0015).toFixed(4)}
`;
}

function gtmYaml(s: number): string {
  const service = serviceNames[s] ?? '';
  const regions = regionNames.map((name, r) => `  - name: ${name}\n    weight: ${baseWeight(s, r)}\n    min_ready_nodes: 1\n    fallback: true\n`).join('');
  return `service: ${service}
domain: ${service}.bench.local
regions:
${regions}health:
  type: http
  path: /healthz
  port: 8080
  interval: 5s
  timeout: 2s
  rise: 2
  fall: 3
dns:
  provider: local
  zone: bench.local
  ttl: 30
`;
}

function autoscaleYaml(s: number): string {
  const regions = regionNames.map((name) => `  ${name}:\n    min_nodes: 1\n    max_nodes: 10\n    scale_up_cpu: 0.7\n    scale_down_cpu: 0.3\n`).join('');
  return `service: ${serviceNames[s]}
global:
  cpu_window: 60s
  min_regions: 1
  max_regions: ${REGIONS}
  cooldown: 120s
regions:
${regions}`;
}

function stackYaml(r: number): string {
  const region = regionNames[r] ?? '';
  const pools = serviceNames
    .map((service, s) => {
      const nodes = Array.from({ length: NODES_PER_POOL }, (_, n) => `${region}-${service}-${n + 1}`).join(', ');
      return `    ${service}:\n      weight: ${baseWeight(s, r)}\n      nodes: [${nodes}]\n      excluded: []\n`;
    })
    .join('');
  return `# Stack config of region ${region} (bench). The control loop edits only
# xplane:pools.<service>.{weight,nodes,excluded}; every other key is yours.
config:
  xplane:region: ${region}
  local:network: bench             # a key humans own
  xplane:pools:
${pools}`;
}

/** min / median / p90 / max of a list of milliseconds, to 0.01 ms. */
function stats(ms: number[]): { min: number; median: number; p90: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  const round = (x: number): number => Math.round(x * 100) / 100;
  return { min: round(sorted[0] ?? Number.NaN), median: round(at(0.5)), p90: round(at(0.9)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
}

async function timed<T>(f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await f();
  return { ms: performance.now() - start, value };
}

// Other work on the machine skews every figure: the load average is recorded at both ends of the run.
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
const fixture = makeGitFixture({ empty: true });
try {
  progress(`writing ${REGIONS} regions, ${SERVICES} gtm + ${SERVICES} autoscale policies and ${REGIONS} stack files to ${fixture.bare}`);
  const files: Record<string, string> = { 'Pulumi.yaml': 'name: xplane-bench\nruntime: nodejs\n' };
  regionNames.forEach((name, r) => {
    files[`platform-config/regions/${name}.yaml`] = regionYaml(r);
    files[stackPath(name)] = stackYaml(r);
  });
  serviceNames.forEach((name, s) => {
    files[`platform-config/gtm/${name}.yaml`] = gtmYaml(s);
    files[`platform-config/autoscale/${name}.yaml`] = autoscaleYaml(s);
  });
  fixture.commit(files, 'seed: bench GitOps repo');
  const loaded = await timed(() => loadDeclarations(fixture.work));
  if (!loaded.value.ok) throw new Error(`bench declarations are invalid: ${JSON.stringify(loaded.value.issues.slice(0, 5))}`);
  const declarations: Declarations = loaded.value.declarations;
  progress(`  declarations valid (loadDeclarations ${loaded.ms.toFixed(0)} ms)`);

  // ---- the fleet: 10,000 nodes in a real registry, driven by a clock we own ----
  const now = Date.now();
  let clock = now - 15 * 60_000;
  const store = new MemoryStore();
  const log = silentLogger();
  const registry = new NodeRegistry({ store, log, config: () => declarations, now: () => clock });
  const rand = seededRandom(20_240_601);
  const profiles = new Map<string, Profile>();
  const tokens: { name: string; token: string; profile: Profile; down: boolean }[] = [];
  progress(`registering ${SERVICES * REGIONS * NODES_PER_POOL} nodes and probing them active`);
  for (const [s, service] of serviceNames.entries()) {
    for (const [r, region] of regionNames.entries()) {
      const profile = profileOf(rand());
      profiles.set(`${service}/${region}`, profile);
      for (let n = 0; n < NODES_PER_POOL; n += 1) {
        const i = (s * REGIONS + r) * NODES_PER_POOL + n;
        const reg = registry.register({ service, region, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080` });
        for (let p = 0; p < 2; p += 1) registry.applyProbe(reg.name, { ok: true, hard: false, detail: '', ms: 1 });
        // In a `down` pool the last node died 10 minutes ago: past replace_after, so it is replaced.
        tokens.push({ name: reg.name, token: reg.token, profile, down: profile === 'down' && n === NODES_PER_POOL - 1 });
      }
    }
  }
  clock = now - 10 * 60_000;
  for (const t of tokens) if (t.down) registry.applyProbe(t.name, { ok: false, hard: true, detail: 'connection refused', ms: 1 });

  progress('heartbeats: 4 per node over the last 45 s of the 60 s cpu window');
  let beats = 0;
  for (const offset of [45_000, 30_000, 15_000, 0]) {
    clock = now - offset;
    for (const t of tokens) {
      if (t.down) continue;
      const jitter = rand();
      const cpu = t.profile === 'hot' ? 0.8 + jitter * 0.15 : t.profile === 'cold' ? 0.05 + jitter * 0.15 : 0.35 + jitter * 0.3;
      const rttMs = t.profile === 'slow' ? 350 + jitter * 150 : 10 + jitter * 70;
      const errorRate = t.profile === 'errors' ? 0.08 + jitter * 0.05 : jitter * 0.01;
      registry.heartbeat(t.token, { name: t.name, cpu, mem: 0.4, qps: Math.round(50 + jitter * 200), errorRate, rttMs });
      beats += 1;
    }
  }
  clock = now;
  const counts = [...profiles.values()].reduce<Record<string, number>>((acc, p) => ({ ...acc, [p]: (acc[p] ?? 0) + 1 }), {});
  progress(`  ${beats} heartbeats; pools by profile: ${JSON.stringify(counts)}`);

  // ---- the pass, as Reconciler.build does it minus git IO ----
  const mirror = new GitMirror(fixture.bare, 'main', `${fixture.root}/mirror`);
  const head = await mirror.fetch();
  const stackBlobs = (await mirror.readFiles(head, ['stacks'])).filter((b) => b.path.startsWith(STACK_PREFIX) && b.path.endsWith('.yaml'));
  const regionOf = (path: string): string => path.slice(STACK_PREFIX.length, -'.yaml'.length);
  if (stackBlobs.length !== REGIONS) throw new Error(`expected ${REGIONS} stack files at ${head}, read ${stackBlobs.length}`);

  // A cold region has wanted to scale down for 10 minutes, past scale_down_stabilization:
  // the memory a running loop would carry into this pass.
  const baseMemory: LoopMemory = {
    ...emptyMemory(),
    scaleDownSince: new Map([...profiles].filter(([, profile]) => profile === 'cold').map(([key]) => [key, now - 10 * 60_000])),
  };

  /** The pass's input as Reconciler.build makes it: the registry's facts gathered, then plain data. */
  const registryInput = (pools: Record<string, Record<string, Pool>>, holds: ReadonlySet<string>, memory: LoopMemory, at: number): PassInput => ({
    now: at,
    declarations,
    pools,
    holds,
    memory,
    ...gatherFacts(registry, { now: at, declarations, pools, memory }),
  });

  // Every pass runs at its own instant, as the reconciler's passes do: the registry may reuse a node's
  // average within a pass, never one computed for an earlier pass. 1 ms apart changes no decision.
  let instant = now;
  const nextInstant = (): number => (instant += 1);

  interface PassTiming {
    total: number;
    stacks: number;
    plan: number;
    decisions: number;
  }
  interface PassOutcome {
    timing: PassTiming;
    plan: PassPlan;
    stacks: Map<string, ParsedStack>;
  }
  /**
   * One pass as Reconciler.build runs it after `readFiles`: each stack blob from the parse cache (parsed
   * only when its blob id is new), its pools, the holds, the registry's facts (gatherFacts), planPass.
   * The override scan (git log) is git IO and left out; applyPoolPatches runs only when there is
   * something to write, so it is timed with the write.
   */
  async function pass(cache: StackCache, memory: LoopMemory): Promise<PassOutcome> {
    const at = nextInstant();
    const t0 = performance.now();
    const stacks = new Map<string, ParsedStack>();
    const pools: Record<string, Record<string, Pool>> = {};
    for (const blob of stackBlobs) {
      const parsed = cache.get(blob.oid, blob.text);
      stacks.set(regionOf(blob.path), parsed);
      pools[regionOf(blob.path)] = readPools(parsed);
    }
    cache.keepOnly(stackBlobs.map((b) => b.oid));
    const t1 = performance.now();
    const holds = new Set((await store.listHolds(at)).map((h) => `${h.service}/${h.region}:${h.key}`));
    const plan = planPass(registryInput(pools, holds, memory, at));
    const t2 = performance.now();
    return { timing: { total: t2 - t0, stacks: t1 - t0, plan: t2 - t1, decisions: plan.decisions.length }, plan, stacks };
  }

  /** The files a pass writes: its decisions' patches applied to the stack files it read. */
  function applyPlan(stacks: Map<string, ParsedStack>, patches: Record<string, Record<string, PoolPatch>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [region, byService] of Object.entries(patches)) {
      const before = stacks.get(region);
      const after = applyPoolPatches(before, region, byService);
      if (after !== before?.source) out[stackPath(region)] = after;
    }
    return out;
  }

  progress('first pass of the process: empty parse cache, nothing compiled yet');
  const first = await pass(new StackCache(), structuredClone(baseMemory));
  const firstApply = await timed(() => applyPlan(first.stacks, patchesByRegion(first.plan.decisions)));

  progress(`steady-state pass (stack files unchanged since the previous pass): ${WARMUP} warm-up runs, then ${PASS_RUNS}`);
  const cache = new StackCache();
  for (let i = 0; i < WARMUP; i += 1) await pass(cache, structuredClone(baseMemory));
  const passes: PassTiming[] = [];
  const applies: number[] = [];
  let sampleOutcome: PassOutcome | undefined;
  let sampleFiles = 0;
  for (let i = 0; i < PASS_RUNS; i += 1) {
    const outcome = await pass(cache, structuredClone(baseMemory));
    passes.push(outcome.timing);
    const { ms, value } = await timed(() => applyPlan(outcome.stacks, patchesByRegion(outcome.plan.decisions)));
    applies.push(ms);
    // Only the first pass's plan is kept: holding all of them would inflate the peak RSS we report.
    if (!sampleOutcome) {
      sampleOutcome = outcome;
      sampleFiles = Object.keys(value).length;
    }
  }
  if (!sampleOutcome) throw new Error('no pass ran');
  const samplePlan = sampleOutcome.plan;
  const sample = sampleOutcome.timing;
  if (passes.some((p) => p.decisions !== sample.decisions) || first.timing.decisions !== sample.decisions) {
    throw new Error('passes on the same input made different numbers of decisions');
  }

  progress(`cold pass (empty parse cache, every stack file parsed): ${COLD_RUNS}`);
  const colds: PassTiming[] = [];
  for (let i = 0; i < COLD_RUNS; i += 1) colds.push((await pass(new StackCache(), structuredClone(baseMemory))).timing);

  const byKind: Record<string, number> = {};
  for (const d of samplePlan.decisions) byKind[`${d.controller}:${d.kind}`] = (byKind[`${d.controller}:${d.kind}`] ?? 0) + 1;
  const message = samplePlan.decisions.length > 0 ? commitMessage(samplePlan.decisions) : '';
  progress(
    `  steady pass median ${stats(passes.map((p) => p.total)).median} ms, cold ${stats(colds.map((p) => p.total)).median} ms; ${sample.decisions} decisions in ${sampleFiles} files`,
  );

  // Where the pass's time goes: the same planPass on facts gathered beforehand (controllers only),
  // and the registry lookups on their own.
  const pools: Record<string, Record<string, Pool>> = {};
  for (const [region, parsed] of sampleOutcome.stacks) pools[region] = readPools(parsed);
  const lookups = { nodes: [] as number[], regionMetrics: [] as number[] };
  for (let i = 0; i < WARMUP + PASS_RUNS; i += 1) {
    const at = nextInstant();
    const a = performance.now();
    for (const byService of Object.values(pools)) for (const pool of Object.values(byService)) for (const name of pool.nodes) registry.observation(name, at, 0);
    const b = performance.now();
    // A fresh instant, so regionMetrics computes every average itself rather than reusing the node lookups'.
    const alone = nextInstant();
    const b2 = performance.now();
    const regionFacts = new Map<string, RegionMetrics | 'stale'>();
    for (const service of serviceNames)
      for (const region of regionNames) regionFacts.set(`${service}/${region}`, registry.regionMetrics(service, region, alone));
    const c = performance.now();
    if (i >= WARMUP) {
      lookups.nodes.push(b - a);
      lookups.regionMetrics.push(c - b2);
    }
  }
  const controllersOnly: number[] = [];
  const gatheredAt = nextInstant();
  const gathered: FleetFacts = gatherFacts(registry, { now: gatheredAt, declarations, pools, memory: baseMemory });
  for (let i = 0; i < WARMUP + PASS_RUNS; i += 1) {
    const input: PassInput = { now: gatheredAt, declarations, pools, holds: new Set(), memory: structuredClone(baseMemory), ...gathered };
    const { ms, value } = await timed(() => planPass(input));
    if (value.decisions.length !== sample.decisions)
      throw new Error(`pre-gathered pass made ${value.decisions.length} decisions, the live one ${sample.decisions}`);
    if (i >= WARMUP) controllersOnly.push(ms);
  }

  // ---- the write side: applyPoolPatches of a pass's decisions + commit + push, 20 stack files ----
  const writer = new GitWriter({ mirror, author: parseIdentity('xplane-bot <xplane-bot@users.noreply.local>'), push: true, log });
  const passPatches = patchesByRegion(samplePlan.decisions);
  let round = 0;
  // Every round writes the sample pass's decisions onto the stack files the pass read (parsed, from its
  // cache), plus a new weight for s001 in every region so there is always something to commit.
  const change = (): PlannedCommit => {
    round += 1;
    const patches: Record<string, Record<string, PoolPatch>> = {};
    for (const region of regionNames) patches[region] = { ...passPatches[region], s001: { ...passPatches[region]?.s001, weight: 1000 + round } };
    return { files: applyPlan(sampleOutcome.stacks, patches), message };
  };

  progress(`write (fetch + applyPoolPatches + commit + push) of ${REGIONS} stack files: 1 warm-up, then ${WRITE_RUNS}`);
  const writeOnce = async (): Promise<number> => {
    const { ms, value } = await timed(() => writer.write(async () => change()));
    if (value.status !== 'pushed') throw new Error(`write ended ${value.status}`);
    return ms;
  };
  const firstWriteMs = await writeOnce();
  const writes: number[] = [];
  for (let i = 0; i < WRITE_RUNS; i += 1) writes.push(await writeOnce());

  const parts = { fetch: [] as number[], apply: [] as number[], commit: [] as number[], push: [] as number[], readFiles: [] as number[] };
  for (let i = 0; i < WRITE_RUNS; i += 1) {
    const f = await timed(() => writer.fetchHead());
    parts.fetch.push(f.ms);
    parts.readFiles.push((await timed(() => mirror.readFiles(f.value, ['stacks']))).ms);
    const planned = await timed(() => change());
    parts.apply.push(planned.ms);
    const commit = await timed(() => writer.commit(f.value, planned.value));
    parts.commit.push(commit.ms);
    const pushed = await timed(() => writer.push(commit.value));
    if (!pushed.value) throw new Error('push rejected');
    parts.push.push(pushed.ms);
  }
  const finalHead = await writer.fetchHead();
  const landed = await mirror.readFiles(finalHead, ['stacks']);
  const landedWeights = new Set(landed.map((b) => readPools(b.text).s001?.weight));
  if (landed.length !== REGIONS || landedWeights.size !== 1 || !landedWeights.has(1000 + round)) {
    throw new Error(`the remote head does not hold the last write: ${[...landedWeights].join(', ')}`);
  }
  const landedPools = readPools(landed.find((b) => b.path === stackPath('r01'))?.text ?? '');
  const wantPools = readPools(applyPoolPatches(sampleOutcome.stacks.get('r01'), 'r01', passPatches.r01 ?? {}));
  if (JSON.stringify({ ...landedPools, s001: undefined }) !== JSON.stringify({ ...wantPools, s001: undefined })) {
    throw new Error('the remote head does not hold the pass’s decisions');
  }

  const peakRssMiB = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  const steady = stats(passes.map((p) => p.total));
  const cold = stats(colds.map((p) => p.total));
  const write = stats(writes);
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  const results = {
    benchmark: 'reconcile',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage1m: { start: loadAtStart[0], end: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    },
    fleet: { services: SERVICES, regions: REGIONS, nodes: tokens.length, downNodes: tokens.filter((t) => t.down).length, poolsByProfile: counts },
    runs: { warmup: WARMUP, pass: PASS_RUNS, cold: COLD_RUNS, write: WRITE_RUNS },
    passMs: steady,
    passPartsMs: {
      stackFiles: stats(passes.map((p) => p.stacks)),
      planPassWithRegistry: stats(passes.map((p) => p.plan)),
      planPassControllersOnly: stats(controllersOnly),
      registryNodeLookups: stats(lookups.nodes),
      registryRegionMetrics: stats(lookups.regionMetrics),
    },
    coldPassMs: cold,
    coldPassPartsMs: { stackFiles: stats(colds.map((p) => p.stacks)), planPassWithRegistry: stats(colds.map((p) => p.plan)) },
    firstPassMs: {
      total: round2(first.timing.total),
      stackFiles: round2(first.timing.stacks),
      planPassWithRegistry: round2(first.timing.plan),
      applyPoolPatches: round2(firstApply.ms),
    },
    applyPoolPatchesMs: stats(applies),
    decisionsPerPass: sample.decisions,
    decisionsByKind: byKind,
    filesChangedPerPass: sampleFiles,
    commitMessageLines: message.split('\n').filter((l) => l !== '').length,
    writeMs: write,
    firstWriteMs: round2(firstWriteMs),
    writePartsMs: {
      fetch: stats(parts.fetch),
      applyPoolPatches: stats(parts.apply),
      commit: stats(parts.commit),
      push: stats(parts.push),
      readFiles: stats(parts.readFiles),
    },
    loadDeclarationsMs: Math.round(loaded.ms),
    peakRssMiB,
    targets: TARGETS,
    met: { pass: steady.median <= TARGETS.passMs, write: write.median <= TARGETS.writeMs },
  };
  const p = results.passPartsMs;
  const w = results.writePartsMs;
  const row = (s: { min: number; median: number; p90: number; max: number }): string => `${s.min} / ${s.median} / ${s.p90} / ${s.max}`;
  const md = `# bench:reconcile

${results.date} — ${results.machine.cpus} × ${results.machine.model}, Node ${process.version}; 1-minute load average ${results.machine.loadAverage1m.start} at the start, ${results.machine.loadAverage1m.end} at the end (other work on the machine inflates every figure)

${SERVICES} services × ${REGIONS} regions × ${tokens.length} nodes (${NODES_PER_POOL} per pool). Pools by profile: ${Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}.

| figure | min / median / p90 / max | target |
| --- | --- | --- |
| **pass, steady state** (stack files unchanged since the previous pass) | ${row(steady)} ms | <= ${TARGETS.passMs} ms ${results.met.pass ? '(met)' : '(missed)'} |
| … stack files: parse-cache lookups + readPools of ${REGIONS} files | ${row(p.stackFiles)} ms | |
| … holds + gatherFacts (registry lookups) + planPass | ${row(p.planPassWithRegistry)} ms | |
| planPass on facts gathered beforehand (controllers only) | ${row(p.planPassControllersOnly)} ms | |
| registry: observations (state + window averages) of all ${tokens.length} nodes | ${row(p.registryNodeLookups)} ms | |
| registry: regionMetrics of all ${SERVICES * REGIONS} (service, region) | ${row(p.registryRegionMetrics)} ms | |
| **pass, cold** (empty parse cache: all ${REGIONS} files parsed) | ${row(cold)} ms | |
| … stack files: parse + readPools | ${row(results.coldPassPartsMs.stackFiles)} ms | |
| first pass of the process (cold cache and nothing compiled yet) | ${results.firstPassMs.total} ms (stack files ${results.firstPassMs.stackFiles}, planPass ${results.firstPassMs.planPassWithRegistry}) | |
| applyPoolPatches of a pass's ${sample.decisions} decisions (${sampleFiles} files; write side, not in the pass) | ${row(results.applyPoolPatchesMs)} ms | |
| **write**: fetch + applyPoolPatches + commit + push, ${REGIONS} files (GitWriter.write) | ${row(write)} ms | <= ${TARGETS.writeMs} ms ${results.met.write ? '(met)' : '(missed)'} |
| … fetch | ${row(w.fetch)} ms | |
| … applyPoolPatches (${sample.decisions} decisions + 1 weight per file) | ${row(w.applyPoolPatches)} ms | |
| … commit (GitWriter.commit: read-tree, hash-object, update-index, write-tree, commit-tree) | ${row(w.commit)} ms | |
| … push | ${row(w.push)} ms | |
| readFiles of ${REGIONS} stack files (ls-tree + cat-file; git IO before each pass, in neither figure) | ${row(w.readFiles)} ms | |
| peak RSS of the process | ${peakRssMiB} MiB | |

What the figures include:

- **pass, steady state**: what \`Reconciler.build\` does per pass apart from git IO, when no stack file changed
  since the previous pass (the common case): look up each stack blob's id in the parse cache, read its pools,
  list the holds (in-memory store), gather the live registry's node facts and region metrics
  (\`gatherFacts\`), and run \`planPass\` (self-protection's count, both controllers) on them. Each pass runs
  at a new instant, so every node's window average is computed afresh: none is carried over from an earlier pass. Each pass also starts from a
  fresh copy of the loop memory, so it records all ${tokens.length} names as first seen, as the first pass after a
  start does (a running loop's pass only looks them up). Left out: \`readFiles\` (shown on its own) and the
  override scan (\`git log\` over the new commits).
- **registry** rows: the same lookups gatherFacts makes, on their own, each at a fresh instant (the region
  metrics at another one than the observations, so they compute every average themselves).
- **pass, cold**: the same with an empty parse cache, as on the first pass after a start or when every
  stack file changed. A pass after a commit re-parses only the files that commit changed.
- **applyPoolPatches** runs only when a pass has something to write, inside the write: it is in the
  write figure, not in the pass figure.
- **write**: \`GitWriter.write\` end to end — fetch, then (in its callback) applyPoolPatches of the sample
  pass's ${sample.decisions} decisions onto the ${REGIONS} parsed stack files plus a new s001 weight per file, commit
  (${REGIONS} files, one multi-line message of ${results.commitMessageLines} lines), push to a local bare repository, update the tracking ref.

Decisions per pass: ${sample.decisions} in ${sampleFiles} stack files (${Object.entries(byKind)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}).
The pass's commit message starts:

\`\`\`
${message.split('\n').slice(0, 6).join('\n')}
…
\`\`\`

Runs: 1 first pass; ${WARMUP} warm-up then ${PASS_RUNS} steady-state passes sharing one parse cache, each on a fresh
copy of the loop memory; ${COLD_RUNS} cold passes, each with a new cache; 1 warm-up write (${results.firstWriteMs} ms) then
${WRITE_RUNS} writes, then ${WRITE_RUNS} more timed step by step for the parts.
`;
  const path = writeResults('reconcile', results, md);
  console.log(md);
  console.log(`results: ${path}`);
} finally {
  fixture.cleanup();
}
