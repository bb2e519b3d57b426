// The PowerDNS records of one service, as plain text: decided here, written by
// the dynamic provider (powerdns-rrsets.ts). Pure, so table-tested.
//
// PowerDNS 4.7's `ifurlup`/`ifportup` pick among live addresses with the
// selectors random, hashed, all or pickclosest only: none of them weighs. So
// the answer is a LUA record in statement mode that does two steps per query:
//
//   1. ifurlup(url, {candidates}, {selector='all', backupSelector='all'}) gives
//      every candidate PowerDNS's own health checks see up (all of them when
//      none is: fail open, as Route 53 does);
//   2. pickwrandom over those, by weight, picks the one address answered.
//
// Each region stack owns one record of its own, `<region>._xplane.<domain>`, a
// `LUA LUA` record (code for `include`, never answered) that adds its nodes and
// their weights to a table `W`. The answer record at `<domain>` includes the
// region records of every region of the gtm policy, so regions converge on
// their own, and every region stack writes the same answer record (it depends
// on the gtm policy only). A region not converged yet has no record to include
// and adds nothing.
//
// Weights: a region's weight is split over its nodes in DNS, as for Route 53
// (each node w / n), scaled by 1000 to integers for pickwrandom (no 255 cap).
// A weight-0 node stays a candidate: it is answered only when no node with a
// weight is up (Route 53's "weight 0 is the last resort").
import type { HealthCheck } from '../../src/config/index.js';
import { absolute, relativeName } from './names.js';

/** The label under the domain that holds the region records. */
export const REGION_LABEL = '_xplane';

/** pickwrandom's weights are C ints. */
const MAX_WEIGHT = 2 ** 31 - 1;

/** Integer weight units per unit of region weight: keeps the split of a small weight over several nodes exact to 0.1 %. */
const WEIGHT_SCALE = 1000;

/** A node in the region record. */
export interface LuaNode {
  ip: string;
}

/** What the answer record needs of the gtm policy. */
export interface AnswerSpec {
  /** The gtm `domain`. */
  domain: string;
  /** The gtm `dns.zone` the records are in. */
  zone: string;
  /** Every region of the gtm policy, in its order. */
  regions: readonly string[];
  health: HealthCheck;
}

/** The owner name of a region's record: `<region>._xplane.<domain>.`. */
export function regionRecordName(domain: string, region: string): string {
  return absolute(`${region}.${REGION_LABEL}.${domain.replace(/\.$/, '')}`);
}

/** The suffix every region record of `domain` ends with: the answer record goes when no name with it is left. */
export function regionRecordSuffix(domain: string): string {
  return absolute(`.${REGION_LABEL}.${domain.replace(/\.$/, '')}`);
}

/** Each node's integer weight: the region weight split evenly, scaled; 0 stays 0. */
export function nodeWeights(regionWeight: number, nodes: number): number {
  if (nodes <= 0 || regionWeight <= 0) return 0;
  return Math.min(MAX_WEIGHT, Math.max(1, Math.round((regionWeight * WEIGHT_SCALE) / nodes)));
}

/** The region record's content: `LUA "<code>"`, code that adds this region's nodes to `W` (ip → weight). */
export function regionRecordContent(regionWeight: number, nodes: readonly LuaNode[]): string {
  const weight = nodeWeights(regionWeight, nodes.length);
  const code = nodes.map((node) => `W[${luaString(node.ip)}]=(W[${luaString(node.ip)}] or 0)+${weight}`).join(' ');
  // An empty region still has its record: it says "no node here", and keeps the answer record's owner count right.
  return recordContent('LUA', code === '' ? 'W=W or {}' : code);
}

/** The answer record's content: `A ";<statements>"` (see the header). */
export function answerRecordContent(spec: AnswerSpec): string {
  const includes = spec.regions.map((region) => `include(${luaString(relativeName(regionRecordName(spec.domain, region), spec.zone))})`).join(' ');
  const options = `{selector='all',backupSelector='all',timeout=${checkTimeoutSeconds(spec.health.timeout)},minimumFailures=${spec.health.fall}}`;
  const check =
    spec.health.type === 'http'
      ? `ifurlup(${luaString(`http://${spec.domain.replace(/\.$/, '')}:${spec.health.port}${spec.health.path}`)},{c},${options})`
      : `ifportup(${spec.health.port},c,${options})`;
  const code = [
    ';W={}',
    includes,
    'local c={} for ip in pairs(W) do c[#c+1]=ip end',
    'if #c==0 then return {} end',
    `local up=${check}`,
    'local p={} for _,ip in ipairs(up) do local w=W[ip] or 0 if w>0 then p[#p+1]={w,ip} end end',
    'if #p==0 then return pickrandom(up) end',
    'return pickwrandom(p)',
  ].join(' ');
  return recordContent('A', code);
}

/** ifurlup/ifportup take whole seconds; at least 1. */
export function checkTimeoutSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** A LUA record's content: the inner type, then the code as one quoted string (backslash and quote escaped). */
function recordContent(type: 'A' | 'LUA', code: string): string {
  return `${type} "${code.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/** A Lua string literal: characters that are safe stay, everything else becomes a decimal escape. */
export function luaString(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9._:/\- ]/.test(ch) ? ch : `\\${String(byte).padStart(3, '0')}`;
  }
  return `'${out}'`;
}
