// How bench:failover measures one kill: query rounds against both DNS servers
// in the same loop, and the figures over many kills.
import { connect } from 'node:net';
import { queryDns, RRType } from '../../src/dns/index.js';

/** Time between the starts of two query rounds (plus the timer's own lateness, which the results report). */
export const ROUND_MS = 15;
/** xplane answers one weighted-random record per query, so a round asks it several times; PowerDNS answers with every live address. */
export const XPLANE_QUERIES_PER_ROUND = 4;
/** A node counts as gone after this many consecutive rounds without it; the time is that of the streak's first round. */
export const STREAK = 10;

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `everyMs` until it returns a value; throws after `timeoutMs`, or what `check` throws. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The A addresses one server answers for `name` over `times` queries; a timeout or error answers nothing. */
export async function addresses(name: string, port: number, times: number): Promise<Set<string>> {
  const seen = new Set<string>();
  const replies = await Promise.all(
    Array.from({ length: times }, () => queryDns(name, RRType.A, { host: '127.0.0.1', port, timeoutMs: 500 }).catch(() => undefined)),
  );
  for (const reply of replies) for (const rr of reply?.answers ?? []) if (rr.data.kind === 'a') seen.add(rr.data.address);
  return seen;
}

/** Whether something accepts TCP connections at host:port (within 200 ms). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** What one kill measured on one server. */
export interface SideResult {
  /** ms from the kill to the answers of the first round of the final streak without the node; null when it did not leave. */
  goneMs: number | null;
  /** Times the node came back into the answers after having been gone (STREAK rounds without it), before the observation ended. */
  returns: number;
}

/** What one kill measured. */
export interface KillObservation {
  xplane: SideResult;
  powerdns: SideResult;
  /** ms from the kill to a process accepting connections at the node's address again (the playground restarts it); null when none did. */
  revivedMs: number | null;
  /** Rounds, and the longest time between the starts of two of them (or the kill and the first) until both servers had left the node out. */
  rounds: number;
  maxGapMs: number;
}

/** The servers and the node one kill is observed on. */
export interface ObserveOptions {
  domain: string;
  xplanePort: number;
  powerdnsPort: number;
  /** The killed node's IP, and its health port. */
  ip: string;
  healthPort: number;
  /** performance.now() of the kill. */
  killedAt: number;
  /**
   * Watch until a process accepts connections at the node's address again (the playground's converge
   * restarts a killed node): answers with the address after that are answers with a live process.
   * Without it the observation ends once both servers have left the node out for STREAK rounds.
   */
  untilRevived: boolean;
  timeoutMs: number;
}

interface Round {
  /** ms after the kill when the round's queries were sent, and when the last answer came. */
  at: number;
  doneAt: number;
  x: Set<string>;
  p: Set<string>;
  alive: boolean;
}

/**
 * Query rounds against both servers, in the same loop, from a kill until the node has left both (or came back to
 * life). A round starts every ROUND_MS whether or not the last one has been answered, so a server that is slow to
 * answer does not thin out the rounds; rounds are then read in the order they were sent.
 */
export async function observeKill(o: ObserveOptions): Promise<KillObservation> {
  const sides = ['xplane', 'powerdns'] as const;
  const state = {
    xplane: { firstAbsent: null as number | null, streak: 0, returns: 0 },
    powerdns: { firstAbsent: null as number | null, streak: 0, returns: 0 },
  };
  let revivedMs: number | null = null;
  // The address refused a connection at least once: the kill has taken effect, so accepting again means a new process.
  let sawDead = false;
  const sent: { done?: Round }[] = [];
  let read = 0;
  const starts: number[] = [];
  let finished = false;
  // Reads the rounds answered so far, in order; true once the observation is over.
  const readAnswered = (): boolean => {
    for (let slot = sent[read]; slot?.done !== undefined; slot = sent[read]) {
      const round = slot.done;
      read += 1;
      if (o.untilRevived) {
        if (!round.alive) sawDead = true;
        else if (sawDead) {
          revivedMs = Math.round(round.at);
          return true;
        }
      }
      for (const side of sides) {
        const s = state[side];
        if ((side === 'xplane' ? round.x : round.p).has(o.ip)) {
          if (s.streak >= STREAK) s.returns += 1;
          s.firstAbsent = null;
          s.streak = 0;
        } else {
          // The answer's arrival, not the question's: a server slow to answer is not credited with the time it took.
          s.firstAbsent ??= round.doneAt;
          s.streak += 1;
        }
      }
      const settled = sides.every((side) => state[side].streak >= STREAK);
      if ((!o.untilRevived && settled) || round.at > o.timeoutMs) return true;
    }
    return false;
  };
  while (!finished) {
    const start = performance.now();
    starts.push(start - o.killedAt);
    const slot: { done?: Round } = {};
    sent.push(slot);
    const at = start - o.killedAt;
    void Promise.all([
      addresses(o.domain, o.xplanePort, XPLANE_QUERIES_PER_ROUND),
      addresses(o.domain, o.powerdnsPort, 1),
      o.untilRevived ? accepts(o.ip, o.healthPort) : Promise.resolve(false),
    ]).then(([x, p, alive]) => (slot.done = { at, doneAt: performance.now() - o.killedAt, x, p, alive }));
    await sleep(ROUND_MS);
    finished = readAnswered();
  }
  const result = (side: (typeof sides)[number]): SideResult => {
    const s = state[side];
    // Gone only when the final streak without it is long enough to be sure (weighted answers can miss a node in one round).
    const gone = s.firstAbsent !== null && s.streak >= STREAK ? Math.round(s.firstAbsent) : null;
    return { goneMs: gone, returns: s.returns };
  };
  // Let the rounds still in flight end (each within its query timeout) before the next kill.
  await sleep(600);
  const xplane = result('xplane');
  const powerdns = result('powerdns');
  // The cadence that matters: from the kill until both servers had left the node out.
  const measured = Math.max(xplane.goneMs ?? Number.POSITIVE_INFINITY, powerdns.goneMs ?? Number.POSITIVE_INFINITY);
  const gaps = starts.filter((t) => t <= measured).map((t, i, all) => t - (i === 0 ? 0 : (all[i - 1] ?? 0)));
  return { xplane, powerdns, revivedMs, rounds: read, maxGapMs: Math.round(Math.max(0, ...gaps)) };
}

/** min / median / max of the values that are numbers, and how many there were. */
export interface Stats {
  n: number;
  min: number;
  median: number;
  max: number;
}

/** The figures of the measured values (nulls are kills that measured nothing). */
export function stats(values: readonly (number | null)[]): Stats {
  const s = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { n: s.length, min: s[0] ?? Number.NaN, median, max: s.at(-1) ?? Number.NaN };
}

/** median(x) / median(p), to two decimals. */
export function ratio(x: Stats, p: Stats): number {
  return Math.round((x.median / p.median) * 100) / 100;
}
