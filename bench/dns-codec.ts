// npm run bench:dns-codec — the embedded DNS's hand-written codec (src/dns/wire.ts
// and edns.ts) against dns-packet, the codec most Node DNS servers use, on the
// server's hot path: decode an EDNS query, encode a reply with one A record and
// an OPT. Same messages, same process, rounds interleaved; the ratio is the
// figure. Also the size of each codec's source. Issue 15 asks to keep our codec
// only if it stays smaller and faster with the conformance cases covered.
//
// Needs: node, npm (installs dns-packet@5.6.1 into ~/.cache/xplane/bench/dns-packet
// on first run). BENCH_ROUNDS (default 7), BENCH_OPS per round (default 50000).
// Results: bench/results/dns-codec.{json,md}.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLASS_IN, RRType, decodeMessage, encodeMessage, encodeQuery, readEdns, replyOpt, type DnsMessage } from '../src/dns/index.js';
import { ROOT, progress, writeResults } from '../test/helpers/serve.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OPS = Number(process.env.BENCH_OPS ?? 50_000);
const DNS_PACKET = '5.6.1';

interface DnsPacket {
  decode(buf: Buffer): { id: number; questions: { name: string; type: string }[]; additionals?: unknown[] };
  encode(packet: unknown): Buffer;
}

function installDnsPacket(): { lib: DnsPacket; dir: string } {
  const dir = join(homedir(), '.cache', 'xplane', 'bench', 'dns-packet');
  const pkg = join(dir, 'node_modules', 'dns-packet');
  if (!existsSync(join(pkg, 'package.json')) || (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version !== DNS_PACKET) {
    progress(`installing dns-packet@${DNS_PACKET} into ${dir}`);
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `dns-packet@${DNS_PACKET}`], { stdio: 'inherit' });
  }
  return { lib: createRequire(join(dir, 'index.js'))('dns-packet') as DnsPacket, dir: join(dir, 'node_modules') };
}

/** Bytes of the .js files under `dir` (not tests, not type declarations). */
function jsBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) total += name === 'test' || name === '.bin' ? 0 : jsBytes(path);
    else if (name.endsWith('.js') && !name.endsWith('.test.js')) total += statSync(path).size;
  }
  return total;
}

function ednsQuery(): Uint8Array {
  const query = encodeQuery('api.svc.plus', RRType.A, 4242);
  const decoded = decodeMessage(query);
  if (!decoded.ok) throw new Error(decoded.error);
  const opt = { labels: [], type: RRType.OPT, class: 1232, ttl: 0, data: { kind: 'raw' as const, bytes: new Uint8Array(0) } };
  return encodeMessage({ ...decoded.message, additional: [opt] });
}

function ours(query: Uint8Array): number {
  const decoded = decodeMessage(query, 'all');
  if (!decoded.ok) throw new Error(decoded.error);
  const edns = readEdns(decoded.message);
  if (edns.kind !== 'ok') throw new Error('no EDNS');
  const q = decoded.message.questions[0];
  if (q === undefined) throw new Error('no question');
  const reply: DnsMessage = {
    header: { ...decoded.message.header, qr: true, aa: true },
    questions: [q],
    answers: [{ labels: q.labels, type: RRType.A, class: CLASS_IN, ttl: 30, data: { kind: 'a', address: '127.1.1.1' } }],
    authority: [],
    additional: [replyOpt(0, edns.edns)],
  };
  return encodeMessage(reply).length;
}

function theirs(lib: DnsPacket, query: Buffer): number {
  return theirReply(lib, query).length;
}

function theirReply(lib: DnsPacket, query: Buffer): Buffer {
  const decoded = lib.decode(query);
  const q = decoded.questions[0];
  if (q === undefined) throw new Error('no question');
  return lib.encode({
    id: decoded.id,
    type: 'response',
    flags: 1 << 10,
    questions: [q],
    answers: [{ name: q.name, type: 'A', class: 'IN', ttl: 30, data: '127.1.1.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] }],
  });
}

function timeNs(fn: () => number): number {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < OPS; i++) sink += fn();
  const ns = ((performance.now() - start) * 1e6) / OPS;
  if (sink === 0) throw new Error('nothing encoded');
  return ns;
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}

const { lib, dir } = installDnsPacket();
const query = ednsQuery();
const buffer = Buffer.from(query);
// dns-packet does not compress names, so its reply is 12 octets longer; both must still decode to the same answer.
const sizes = { ours: ours(query), dnsPacket: theirs(lib, buffer) };
const check = decodeMessage(theirReply(lib, buffer));
const address = check.ok ? check.message.answers[0]?.data : undefined;
if (address?.kind !== 'a' || address.address !== '127.1.1.1') throw new Error('the dns-packet reply does not decode to the same answer');
for (let i = 0; i < 2; i++) {
  timeNs(() => ours(query));
  timeNs(() => theirs(lib, buffer));
}
const oursNs: number[] = [];
const theirsNs: number[] = [];
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which goes first so neither always runs on a warmer CPU.
  let c: number;
  let d: number;
  if (round % 2 === 0) {
    c = timeNs(() => ours(query));
    d = timeNs(() => theirs(lib, buffer));
  } else {
    d = timeNs(() => theirs(lib, buffer));
    c = timeNs(() => ours(query));
  }
  oursNs.push(c);
  theirsNs.push(d);
  ratios.push(c / d);
  progress(`round ${round}/${ROUNDS}: ours ${c.toFixed(0)} ns, dns-packet ${d.toFixed(0)} ns, ratio ${(c / d).toFixed(2)}`);
}
const ourBytes = ['wire.ts', 'edns.ts'].reduce((sum, f) => sum + statSync(join(ROOT, 'src', 'dns', f)).size, 0);
const theirBytes = jsBytes(join(dir, 'dns-packet')) + jsBytes(join(dir, '@leichtgewicht', 'ip-codec'));
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  node: process.version,
  rounds: ROUNDS,
  opsPerRound: OPS,
  oursNsPerReply: stats(oursNs),
  dnsPacketNsPerReply: stats(theirsNs),
  ratio: stats(ratios),
  sourceBytes: { ours: ourBytes, dnsPacket: theirBytes },
  replyBytes: sizes,
};
const f = (s: { min: number; median: number; max: number }, digits = 0): string =>
  `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
const md = [
  '# bench:dns-codec',
  '',
  `${results.date}, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}. ${ROUNDS} rounds of ${OPS} replies each, interleaved.`,
  'One reply = decode an EDNS query for api.svc.plus A, encode a reply with one A record and an OPT.',
  '',
  '| codec | ns per reply (min / median / max) | source bytes |',
  '| --- | --- | --- |',
  `| src/dns/wire.ts + edns.ts (strict: every section, counts, trailing bytes, OPT rules) | ${f(results.oursNsPerReply)} | ${ourBytes} (TypeScript with comments) |`,
  `| dns-packet ${DNS_PACKET} + @leichtgewicht/ip-codec (no count or trailing-byte checks) | ${f(results.dnsPacketNsPerReply)} | ${theirBytes} (JavaScript) |`,
  '',
  `Ratio ours / dns-packet: ${f(results.ratio, 2)} (min / median / max). Reply size: ours ${sizes.ours} octets (names compressed), dns-packet ${sizes.dnsPacket}.`,
  '',
].join('\n');
writeResults('dns-codec', results, md);
process.stdout.write(md);
