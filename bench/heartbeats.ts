// npm run bench:heartbeats — 10,000 registered nodes, heartbeats as fast as
// wrk on the same machine can send them for 20 s, against a real `xplane
// serve` process. Records req/s, p50/p99 latency and the server's peak RSS.
// Targets on a 2-core machine: >= 15,000 heartbeats/s, p99 <= 25 ms, RSS <= 300 MB.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeGitFixture } from '../src/testing/index.js';
import { peakRssMiB, progress, startServe, writeResults } from '../test/helpers/serve.js';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const BOOTSTRAP = 'bench-bootstrap';

if (spawnSync('wrk', ['--version']).error) {
  console.error('bench:heartbeats needs wrk, the HTTP load generator: apt-get install wrk');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'xplane-bench-'));
const fixture = makeGitFixture();
progress(`starting xplane serve (state in ${dir})`);
const serve = await startServe(
  ['--repo', fixture.bare, '--db', join(dir, 'xplane.db'), '--workdir', join(dir, 'work'), '--no-probe', '--register-per-minute', '1000000'],
  { XPLANE_BOOTSTRAP_TOKEN: BOOTSTRAP, XPLANE_ADMIN_TOKEN: 'bench-admin', XPLANE_LOG_LEVEL: 'warn' },
);

try {
  progress(`registering ${NODES} nodes`);
  const nodes: { name: string; token: string }[] = [];
  let next = 0;
  const started = Date.now();
  async function worker(): Promise<void> {
    while (next < NODES) {
      const i = next++;
      const region = i % 2 === 0 ? 'jp' : 'sg';
      const res = await fetch(`${serve.url}/v1/nodes/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'svc-plus', region, address: `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:8080` }),
      });
      if (res.status !== 201) throw new Error(`register answered ${res.status}: ${await res.text()}`);
      nodes.push((await res.json()) as { name: string; token: string });
      if (nodes.length % 2500 === 0) progress(`  ${nodes.length} registered`);
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker));
  const registerSeconds = (Date.now() - started) / 1000;

  const tokens = join(dir, 'nodes.txt');
  writeFileSync(tokens, nodes.map((n) => `${n.name} ${n.token}`).join('\n') + '\n');
  const script = join(dir, 'heartbeat.lua');
  writeFileSync(
    script,
    `
local nodes = {}
for line in io.lines("${tokens}") do
  local name, token = line:match("^(%S+) (%S+)$")
  nodes[#nodes + 1] = { name = name, token = token }
end
local i = math.random(#nodes)
function request()
  i = i % #nodes + 1
  local n = nodes[i]
  local body = string.format('{"name":"%s","cpu":%.3f,"mem":0.42,"qps":%d,"errorRate":0,"rttMs":%d}', n.name, math.random(), math.random(0, 500), math.random(1, 80))
  return wrk.format("POST", "/v1/nodes/heartbeat", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. n.token }, body)
end
`,
  );

  progress(`heartbeats for ${DURATION_S}s with wrk (1 thread, ${CONNECTIONS} connections)`);
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION_S}s`, '--latency', '-s', script, serve.url], { encoding: 'utf8' });
  const reqPerSec = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const toMs = (v: string, unit: string): number => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
  const pct = (p: string): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? Math.round(toMs(m[1] ?? 'NaN', m[2] ?? 'ms') * 100) / 100 : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(out)?.[0] ?? 'none';
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const rss = peakRssMiB(serve.child.pid ?? 0);
  const metrics = await (await fetch(`${serve.url}/metrics`)).text();
  const counted = Number(/^xplane_heartbeats_total (\d+)/m.exec(metrics)?.[1]);

  const results = {
    benchmark: 'heartbeats',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    nodes: NODES,
    durationSeconds: DURATION_S,
    connections: CONNECTIONS,
    registerSeconds,
    requests: total,
    heartbeatsPerSecond: Math.round(reqPerSec),
    latencyMs: { p50: pct('50'), p75: pct('75'), p90: pct('90'), p99: pct('99') },
    non2xx,
    socketErrors: errors,
    heartbeatsCountedByServer: counted,
    serverPeakRssMiB: rss,
    targets: { heartbeatsPerSecond: 15_000, p99Ms: 25, rssMiB: 300 },
    met: { throughput: reqPerSec >= 15_000, p99: pct('99') <= 25, rss: rss <= 300 },
  };
  const md = `# bench:heartbeats

${results.date} — ${results.machine.cpus} × ${results.machine.model}

| figure | value | target |
| --- | --- | --- |
| registered nodes | ${NODES} (in ${registerSeconds.toFixed(1)} s) | 10,000 |
| heartbeats/s | ${results.heartbeatsPerSecond} | >= 15,000 |
| latency p50 | ${results.latencyMs.p50} ms | |
| latency p99 | ${results.latencyMs.p99} ms | <= 25 ms |
| server peak RSS | ${rss} MiB | <= 300 MB |
| non-2xx answers | ${non2xx} | 0 |

Load: wrk, 1 thread, ${CONNECTIONS} connections, ${DURATION_S} s, on the same machine as the server.
`;
  const path = writeResults('heartbeats', results, md);
  console.log(md);
  console.log(`results: ${path}`);
  if (non2xx > 0) process.exitCode = 1;
} finally {
  await serve.stop();
  fixture.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
