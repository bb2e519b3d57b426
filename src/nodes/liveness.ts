// The node state machine as a pure function: the registry feeds it events and
// persists whatever it returns, so every rule here is testable without IO or a clock.
import type { NodeState } from '../store/index.js';

/** What the state machine remembers about one node between events. */
export interface Liveness {
  state: NodeState;
  passes: number;
  fails: number;
  since: number;
}

/** Everything that can happen to a node; `hard` probe failures skip the `fall` count. */
export type LivenessEvent =
  | { kind: 'register' }
  | { kind: 'heartbeat'; countsAsPass: boolean }
  | { kind: 'heartbeat-timeout' }
  | { kind: 'probe'; ok: true }
  | { kind: 'probe'; ok: false; hard: boolean; detail: string }
  | { kind: 'drain' }
  | { kind: 'delete' };

/** One state change with a human-readable reason, for the node event log. */
export interface Transition {
  from: NodeState;
  to: NodeState;
  cause: string;
}

/** The `rise`/`fall` thresholds of the service's health block. */
export interface LivenessPolicy {
  rise: number;
  fall: number;
}

/** A freshly registered node: warm until it has passed `rise` checks. */
export function initialLiveness(now: number): Liveness {
  return { state: 'warm', passes: 0, fails: 0, since: now };
}

type Result = { next: Liveness; transitions: Transition[] };

/** Applies one event; returns the new liveness and the state changes it caused (empty when none). */
export function step(l: Liveness, e: LivenessEvent, p: LivenessPolicy, now: number): Result {
  // A rise or fall below 1 would make the counters meaningless; treat it as 1.
  const rise = Math.max(1, p.rise);
  const fall = Math.max(1, p.fall);
  const acc = new Stepper(l, now);

  if (l.state === 'deleted') return acc.result();
  if (e.kind === 'delete') return acc.move('deleted', 0, 0, 'deleted').result();

  if (l.state === 'drain') {
    // An admin's drain must survive agent restarts and flapping probes; only death or delete ends it.
    if (e.kind === 'heartbeat-timeout') acc.move('down', 0, 0, 'heartbeat timeout');
    return acc.result();
  }
  if (e.kind === 'drain') return acc.move('drain', 0, 0, 'drained by admin').result();
  if (e.kind === 'register') return acc.move('warm', 0, 0, 'registered').result();
  if (e.kind === 'heartbeat-timeout') {
    if (l.state !== 'down') acc.move('down', 0, 0, 'heartbeat timeout');
    return acc.result();
  }

  switch (l.state) {
    case 'warm':
      return warm(acc, e, rise, fall).result();
    case 'active':
      return active(acc, e, fall).result();
    case 'down':
      return down(acc, e, rise).result();
  }
}

type CheckEvent = Extract<LivenessEvent, { kind: 'heartbeat' | 'probe' }>;

function warm(acc: Stepper, e: CheckEvent, rise: number, fall: number): Stepper {
  if (e.kind === 'heartbeat' && !e.countsAsPass) return acc;
  if (e.kind === 'probe' && !e.ok) {
    // A warm node may be serving (an agent that restarted, a fleet the control plane meets for the
    // first time): `fall` failures in a row are evidence that it does not, so it goes down. A
    // refused connection counts as one failure here, not at once: its agent is up and registered,
    // and the port it checks may open a moment later.
    const fails = acc.cur.fails + 1;
    acc.set(0, fails);
    if (fails >= fall) acc.move('down', 0, 0, `${fails} consecutive probes failed while warm: ${e.detail}`);
    return acc;
  }
  const passes = acc.cur.passes + 1;
  acc.set(passes, 0);
  if (passes >= rise) acc.move('active', passes, 0, `${passes} consecutive ${checkWord(e)} passed`);
  return acc;
}

function active(acc: Stepper, e: CheckEvent, fall: number): Stepper {
  if (e.kind === 'heartbeat') return acc;
  if (e.ok) return acc.set(acc.cur.passes + 1, 0);
  // Refused/reset means nothing is listening: waiting for `fall` would only serve errors longer
  // (HAProxy's on-error mark-down).
  if (e.hard) return acc.move('down', 0, 0, `probe: ${e.detail}`);
  const fails = acc.cur.fails + 1;
  acc.set(0, fails);
  if (fails >= fall) acc.move('down', 0, 0, `${fails} consecutive probes failed: ${e.detail}`);
  return acc;
}

function down(acc: Stepper, e: CheckEvent, rise: number): Stepper {
  if (e.kind === 'probe' && !e.ok) return acc.set(0, acc.cur.fails + 1);
  const pass = e.kind === 'probe' || e.countsAsPass;
  const passes = pass ? 1 : 0;
  acc.move('warm', passes, 0, e.kind === 'probe' ? 'probe passed' : 'heartbeat resumed');
  // With rise 1 a single pass is already enough: do not make the node wait for another event.
  if (pass && passes >= rise) acc.move('active', passes, 0, `${passes} consecutive ${checkWord(e)} passed`);
  return acc;
}

function checkWord(e: CheckEvent): string {
  return e.kind === 'probe' ? 'probes' : 'heartbeats';
}

// Collects the new liveness and transitions so each rule reads as a short sequence of moves.
class Stepper {
  cur: Liveness;
  private readonly transitions: Transition[] = [];

  constructor(
    l: Liveness,
    private readonly now: number,
  ) {
    this.cur = { ...l };
  }

  set(passes: number, fails: number): this {
    this.cur = { ...this.cur, passes, fails };
    return this;
  }

  move(to: NodeState, passes: number, fails: number, cause: string): this {
    const from = this.cur.state;
    if (from === to) return this.set(passes, fails);
    this.transitions.push({ from, to, cause });
    this.cur = { state: to, passes, fails, since: this.now };
    return this;
  }

  result(): Result {
    return { next: this.cur, transitions: this.transitions };
  }
}
