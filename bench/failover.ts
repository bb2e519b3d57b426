// npm run bench:failover — time from kill -9 of a node to the DNS no longer
// answering with it: xplane's embedded DNS and PowerDNS's LUA `ifurlup`
// records side by side, on the same agent processes and the same kills, with
// the same check interval and failure count, on two paths:
//   1. three nodes of one region behind a bare `xplane serve` (1 s checks);
//      also the time until the Git path has recorded the exclusion;
//   2. the playground a user gets (`npm start` = `xplane demo`): its own repo,
//      settings and Pulumi-started nodes, killing jp's only node.
// Targets: the ratio xplane / PowerDNS of the medians <= 1.0 on path 1 and
// <= 0.8 on path 2.
//
// Needs: PowerDNS with the bind backend (apt-get install pdns-server
// pdns-backend-bind), git, a built dist/ (npm run build), and for path 2 a
// Pulumi CLI (PULUMI_CLI_PATH, `pulumi` on PATH, `npm install pulumi`, or one
// `npm start` builds from Go modules). Path 2 binds the playground's fixed
// node addresses 127.1.1.1:8080 and 127.2.1.1:8080; on a shared machine run it
// in a network namespace of its own: unshare -n bash -c 'ip link set lo up; npm run bench:failover'.
//
// BENCH_PATHS=three-nodes,playground (default both), BENCH_KILLS (path 1,
// default 9), BENCH_GIT_KILLS (default 3), BENCH_PLAYGROUND_KILLS (default 9).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPulumiCli } from '../src/converge/index.js';
import { errorText } from '../src/errors.js';
import { progress, ROOT, writeResults } from '../test/helpers/serve.js';
import { ratio, ROUND_MS, stats, STREAK, XPLANE_QUERIES_PER_ROUND, type Stats } from './failover/measure.js';
import { runPlayground, type PlaygroundRun } from './failover/playground.js';
import { powerDnsVersion } from './failover/powerdns.js';
import { runThreeNodes, type ThreeNodeRun } from './failover/three-nodes.js';

const PATHS = (process.env.BENCH_PATHS ?? 'three-nodes,playground').split(',').map((p) => p.trim());
const KILLS = Number(process.env.BENCH_KILLS ?? 9);
const GIT_KILLS = Number(process.env.BENCH_GIT_KILLS ?? 3);
const PLAYGROUND_KILLS = Number(process.env.BENCH_PLAYGROUND_KILLS ?? 9);
const TARGET = { threeNodes: 1.0, playground: 0.8 };

function need(ok: boolean, what: string): void {
  if (ok) return;
  console.error(`bench:failover needs ${what}`);
  process.exit(1);
}

let pdns: ReturnType<typeof powerDnsVersion>;
try {
  pdns = powerDnsVersion();
} catch (err) {
  need(false, errorText(err).replace(/^bench:failover needs /, ''));
  throw err;
}
need(!spawnSync('git', ['--version']).error, 'git: apt-get install git');
need(existsSync(join(ROOT, 'dist/src/cli/main.js')) && existsSync(join(ROOT, 'dist/agent/xplane-agent.mjs')), 'a built dist/: npm run build');
let pulumiCli = '';
if (PATHS.includes('playground')) {
  pulumiCli = await findPulumiCli(ROOT).catch(() => '');
  need(
    pulumiCli !== '',
    'a Pulumi CLI for the playground path: set PULUMI_CLI_PATH, put `pulumi` on PATH, `npm install pulumi`, or run `npm start` once (it builds one from Go modules); or BENCH_PATHS=three-nodes',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'xplane-bench-failover-'));
let three: ThreeNodeRun | undefined;
let playground: PlaygroundRun | undefined;
try {
  if (PATHS.includes('three-nodes')) {
    progress(`path 1/2: three nodes of one region, ${KILLS} kills`);
    three = await runThreeNodes(join(dir, 'three-nodes'), KILLS, GIT_KILLS);
  }
  if (PATHS.includes('playground')) {
    progress(`path 2/2: the playground (xplane demo), ${PLAYGROUND_KILLS} kills of a region's only node`);
    playground = await runPlayground(join(dir, 'playground'), PLAYGROUND_KILLS, pulumiCli);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The figures of one path. */
interface PathFigures {
  xplane: Stats;
  powerdns: Stats;
  ratio: number;
  target: number;
  met: boolean;
  /** Kills where a side did not leave the answers within the observation. */
  unmeasured: number;
  /** Times a killed node came back into a server's answers after it had left them, while nothing listened at its address. */
  returns: { xplane: number; powerdns: number };
  /** The longest time between two rounds (or the kill and the first), from a kill until both servers had left the node out. */
  maxRoundGapMs: number;
}

function figures(kills: readonly (ThreeNodeRun['kills'][number] | PlaygroundRun['kills'][number])[], target: number): PathFigures {
  const xplane = stats(kills.map((k) => k.xplane.goneMs));
  const powerdns = stats(kills.map((k) => k.powerdns.goneMs));
  const r = ratio(xplane, powerdns);
  return {
    xplane,
    powerdns,
    ratio: r,
    target,
    met: r <= target && xplane.n === kills.length && powerdns.n === kills.length,
    unmeasured: kills.filter((k) => k.xplane.goneMs === null || k.powerdns.goneMs === null).length,
    returns: { xplane: kills.reduce((s, k) => s + k.xplane.returns, 0), powerdns: kills.reduce((s, k) => s + k.powerdns.returns, 0) },
    maxRoundGapMs: Math.max(0, ...kills.map((k) => k.maxGapMs)),
  };
}

const threeFigures = three && figures(three.kills, TARGET.threeNodes);
const playgroundFigures = playground && figures(playground.kills, TARGET.playground);
const gitStats = three && stats(three.kills.map((k) => k.gitMs));
const results = {
  benchmark: 'failover',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
  powerdns: { version: pdns.version, minimumFailuresSupported: pdns.minimumFailuresSupported },
  method: { roundMs: ROUND_MS, xplaneQueriesPerRound: XPLANE_QUERIES_PER_ROUND, goneAfterRounds: STREAK },
  threeNodes: three && threeFigures && { ...three, figures: threeFigures, git: gitStats },
  playground: playground && playgroundFigures && { ...playground, figures: playgroundFigures },
};

const ms = (v: number | null): string => (v === null ? 'timeout' : `${v}`);
const statRow = (what: string, s: Stats): string => `| ${what} | ${s.min} | ${s.median} | ${s.max} | ${s.n} |`;
const summary = (f: PathFigures): string => `| server | min ms | median ms | max ms | kills measured |
| --- | --- | --- | --- | --- |
${statRow('xplane embedded DNS', f.xplane)}
${statRow(`PowerDNS ${pdns.version} LUA \`ifurlup\``, f.powerdns)}

Ratio xplane / PowerDNS of the medians: **${f.ratio}** (target <= ${f.target.toFixed(1)}: ${f.met ? 'met' : 'NOT met'}).
From each kill until both servers had left the node out, rounds started at most ${f.maxRoundGapMs} ms apart. A killed node came back into the answers after it had
left them ${f.returns.xplane} time(s) on xplane, ${f.returns.powerdns} on PowerDNS.`;

const pdnsFall = pdns.minimumFailuresSupported
  ? 'PowerDNS honours `minimumFailures`.'
  : `PowerDNS ${pdns.version} does not know ifurlup's \`minimumFailures\` (it ignores it), so it drops an address after
its first failed check, whatever the fall. That matches xplane on these kills: a killed process refuses connections,
a hard failure that marks the node down without waiting for \`fall\`.`;

const sections: string[] = [];
if (three && threeFigures && gitStats) {
  sections.push(`## Path 1: three nodes of one region, bare \`xplane serve\`

${summary(threeFigures)}

Git path (exclusion commit on the remote): median ${gitStats.median} ms over ${gitStats.n} kill(s).

| kill | node | xplane ms | PowerDNS ms | git ms |
| --- | --- | --- | --- | --- |
${three.kills.map((k, i) => `| ${i + 1} | ${k.node} | ${ms(k.xplane.goneMs)} | ${ms(k.powerdns.goneMs)} | ${k.gitMs ?? (i < GIT_KILLS ? 'timeout' : '')} |`).join('\n')}

xplane: gtm health \`interval: ${three.settings.healthInterval}\`, \`timeout: ${three.settings.timeout}\`, \`fall: ${three.settings.fall}\`, TTL ${three.settings.ttl};
the bench writes the record file and starts the ${three.settings.nodes} agents itself. PowerDNS: \`lua-health-checks-interval=1\`, record
\`${three.powerdnsRecord}\`.`);
}
if (playground && playgroundFigures) {
  const s = playground.settings;
  sections.push(`## Path 2: the playground (\`npm start\` = \`xplane demo\`), a region's only node killed

${summary(playgroundFigures)}

| kill | node | xplane ms | registry \`down\` ms | cause | PowerDNS ms | node restarted by the converge ms |
| --- | --- | --- | --- | --- | --- | --- |
${playground.kills.map((k, i) => `| ${i + 1} | ${k.node} | ${ms(k.xplane.goneMs)} | ${ms(k.registryDownMs)} | ${k.cause ?? ''} | ${ms(k.powerdns.goneMs)} | ${ms(k.revivedMs)} |`).join('\n')}

A real \`xplane demo\` with its own seeded repo and settings (gtm health \`interval: ${s.healthInterval}\`, \`timeout: ${s.timeout}\`,
\`rise: ${s.rise}\`, \`fall: ${s.fall}\`, port ${s.port}, \`${s.path}\`, TTL ${s.ttl}; regions ${s.regions}), its nodes started by the
Pulumi engine (inline converge). The node killed is jp's only node. After each kill the playground's converge starts the
node again on the same address, so each kill is watched until a process accepts connections there again; an answer with
the address after that is an answer with a live process. PowerDNS checks the same two nodes with the same interval and
fall: \`lua-health-checks-interval=1\`, record \`${playground.powerdnsRecord}\` (ifurlup reads its timeout in whole seconds).`);
}

const md = `# bench:failover

${results.date} — ${results.machine.cpus} × ${results.machine.model}, load ${results.machine.loadavg.join(' ')}

Time from \`kill -9\` of a node's agent to the DNS no longer answering with it: the first of ${STREAK} consecutive
query rounds without its address, timed by the arrival of that round's answers. A round starts every ${ROUND_MS} ms (plus the
timer's lateness) without waiting for the previous one's answers, and asks xplane ${XPLANE_QUERIES_PER_ROUND} times (it answers one
weighted record per query) and PowerDNS once (it answers every live address): both servers in the same loop after the
same kill.

${sections.join('\n\n')}

${pdnsFall} xplane holds an idle connection to each node that passed its last probe; a killed process's kernel
closes it, and the node is probed at once (refused: \`down\`). A machine that vanishes without closing connections is
found by the probes every interval, as before.
`;
const path = writeResults('failover', results, md);
console.log(md);
console.log(`results: ${path}`);
if ((threeFigures?.unmeasured ?? 0) > 0 || (playgroundFigures?.unmeasured ?? 0) > 0) process.exitCode = 1;
