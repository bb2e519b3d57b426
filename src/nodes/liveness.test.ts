import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeState } from '../store/index.js';
import { initialLiveness, step, type Liveness, type LivenessEvent, type Transition } from './liveness.js';

const policy = { rise: 2, fall: 3 };
const T0 = 1_000;
const T1 = 2_000;

const ok: LivenessEvent = { kind: 'probe', ok: true };
const soft: LivenessEvent = { kind: 'probe', ok: false, hard: false, detail: 'status 503' };
const hard: LivenessEvent = { kind: 'probe', ok: false, hard: true, detail: 'connection refused' };
const beat: LivenessEvent = { kind: 'heartbeat', countsAsPass: false };
const passBeat: LivenessEvent = { kind: 'heartbeat', countsAsPass: true };
const timeout: LivenessEvent = { kind: 'heartbeat-timeout' };
const register: LivenessEvent = { kind: 'register' };
const drain: LivenessEvent = { kind: 'drain' };
const del: LivenessEvent = { kind: 'delete' };

const at = (state: NodeState, passes = 0, fails = 0): Liveness => ({ state, passes, fails, since: T0 });

describe('initialLiveness', () => {
  it('starts warm with no passes', () => {
    assert.deepEqual(initialLiveness(5), { state: 'warm', passes: 0, fails: 0, since: 5 });
  });
});

describe('step', () => {
  const cases: { name: string; from: Liveness; event: LivenessEvent; state: NodeState; passes?: number; fails?: number; causes: string[] }[] = [
    // warm
    { name: 'warm: a passed probe counts towards rise', from: at('warm'), event: ok, state: 'warm', passes: 1, causes: [] },
    { name: 'warm: reaching rise makes the node active', from: at('warm', 1), event: ok, state: 'active', passes: 2, causes: ['2 consecutive probes passed'] },
    {
      name: 'warm: a heartbeat that counts as a pass counts towards rise',
      from: at('warm', 1),
      event: passBeat,
      state: 'active',
      causes: ['2 consecutive heartbeats passed'],
    },
    { name: 'warm: a plain heartbeat changes nothing', from: at('warm', 1), event: beat, state: 'warm', passes: 1, causes: [] },
    { name: 'warm: a failed probe restarts the count but stays warm', from: at('warm', 1), event: soft, state: 'warm', passes: 0, fails: 1, causes: [] },
    {
      name: 'warm: a hard probe failure also stays warm (it counts once toward fall)',
      from: at('warm', 1),
      event: hard,
      state: 'warm',
      passes: 0,
      fails: 1,
      causes: [],
    },
    {
      name: 'warm: the fall-th failure in a row marks it down (a warm node may be serving)',
      from: at('warm', 0, 2),
      event: soft,
      state: 'down',
      causes: ['3 consecutive probes failed while warm: status 503'],
    },
    {
      name: 'warm: a hard failure that is the fall-th marks it down too',
      from: at('warm', 0, 2),
      event: hard,
      state: 'down',
      causes: ['3 consecutive probes failed while warm: connection refused'],
    },
    { name: 'warm: a pass between failures starts the failure count again', from: at('warm', 0, 2), event: ok, state: 'warm', passes: 1, fails: 0, causes: [] },
    { name: 'warm: heartbeat timeout marks it down', from: at('warm', 1), event: timeout, state: 'down', causes: ['heartbeat timeout'] },
    { name: 'warm: register resets the counters', from: at('warm', 1), event: register, state: 'warm', passes: 0, causes: [] },
    { name: 'warm: drain drains', from: at('warm'), event: drain, state: 'drain', causes: ['drained by admin'] },
    { name: 'warm: delete deletes', from: at('warm'), event: del, state: 'deleted', causes: ['deleted'] },
    // active
    { name: 'active: a passed probe clears the failures', from: at('active', 2, 2), event: ok, state: 'active', fails: 0, causes: [] },
    { name: 'active: a soft failure below fall only counts', from: at('active', 2, 1), event: soft, state: 'active', fails: 2, causes: [] },
    {
      name: 'active: the fall-th soft failure marks it down',
      from: at('active', 0, 2),
      event: soft,
      state: 'down',
      causes: ['3 consecutive probes failed: status 503'],
    },
    { name: 'active: a hard failure marks it down at once', from: at('active', 2, 0), event: hard, state: 'down', causes: ['probe: connection refused'] },
    { name: 'active: heartbeats change nothing', from: at('active', 2, 1), event: passBeat, state: 'active', fails: 1, causes: [] },
    { name: 'active: heartbeat timeout marks it down', from: at('active', 2), event: timeout, state: 'down', causes: ['heartbeat timeout'] },
    { name: 'active: register (agent restart) goes back to warm', from: at('active', 5), event: register, state: 'warm', passes: 0, causes: ['registered'] },
    { name: 'active: drain drains', from: at('active'), event: drain, state: 'drain', causes: ['drained by admin'] },
    { name: 'active: delete deletes', from: at('active'), event: del, state: 'deleted', causes: ['deleted'] },
    // down
    { name: 'down: a heartbeat brings it back to warm with no passes', from: at('down'), event: beat, state: 'warm', passes: 0, causes: ['heartbeat resumed'] },
    {
      name: 'down: a passing heartbeat brings it back to warm with one pass',
      from: at('down'),
      event: passBeat,
      state: 'warm',
      passes: 1,
      causes: ['heartbeat resumed'],
    },
    { name: 'down: a passed probe brings it back to warm with one pass', from: at('down'), event: ok, state: 'warm', passes: 1, causes: ['probe passed'] },
    { name: 'down: failed probes keep it down', from: at('down'), event: soft, state: 'down', causes: [] },
    { name: 'down: hard failures keep it down', from: at('down'), event: hard, state: 'down', causes: [] },
    { name: 'down: another heartbeat timeout is no transition', from: at('down'), event: timeout, state: 'down', causes: [] },
    { name: 'down: register goes to warm', from: at('down'), event: register, state: 'warm', causes: ['registered'] },
    { name: 'down: drain drains', from: at('down'), event: drain, state: 'drain', causes: ['drained by admin'] },
    { name: 'down: delete deletes', from: at('down'), event: del, state: 'deleted', causes: ['deleted'] },
    // drain
    { name: 'drain: passed probes are ignored', from: at('drain'), event: ok, state: 'drain', causes: [] },
    { name: 'drain: failed probes are ignored', from: at('drain'), event: hard, state: 'drain', causes: [] },
    { name: 'drain: heartbeats are ignored', from: at('drain'), event: passBeat, state: 'drain', causes: [] },
    { name: 'drain: an agent restart does not undo a drain', from: at('drain'), event: register, state: 'drain', causes: [] },
    { name: 'drain: draining again is no transition', from: at('drain'), event: drain, state: 'drain', causes: [] },
    { name: 'drain: heartbeat timeout marks it down', from: at('drain'), event: timeout, state: 'down', causes: ['heartbeat timeout'] },
    { name: 'drain: delete deletes', from: at('drain'), event: del, state: 'deleted', causes: ['deleted'] },
    // deleted
    ...([ok, hard, beat, passBeat, timeout, register, drain, del] as const).map((event) => ({
      name: `deleted: ${event.kind} is ignored`,
      from: at('deleted'),
      event,
      state: 'deleted' as const,
      causes: [],
    })),
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { next, transitions } = step(c.from, c.event, policy, T1);
      assert.equal(next.state, c.state);
      if (c.passes !== undefined) assert.equal(next.passes, c.passes, 'passes');
      if (c.fails !== undefined) assert.equal(next.fails, c.fails, 'fails');
      assert.deepEqual(
        transitions.map((t) => t.cause),
        c.causes,
      );
      assert.equal(next.since, c.state === c.from.state ? T0 : T1, 'since changes only with the state');
    });
  }

  it('with rise 1 a down node passing one probe goes down → warm → active in one step', () => {
    const { next, transitions } = step(at('down'), ok, { rise: 1, fall: 3 }, T1);
    assert.equal(next.state, 'active');
    assert.deepEqual(transitions, [
      { from: 'down', to: 'warm', cause: 'probe passed' },
      { from: 'warm', to: 'active', cause: '1 consecutive probes passed' },
    ]);
    assert.equal(next.since, T1);
  });

  it('with rise 1 a plain heartbeat brings a down node only to warm', () => {
    const { next } = step(at('down'), beat, { rise: 1, fall: 3 }, T1);
    assert.equal(next.state, 'warm');
  });

  it('with fall 1 the first soft failure marks an active node down', () => {
    const { next } = step(at('active', 2), soft, { rise: 2, fall: 1 }, T1);
    assert.equal(next.state, 'down');
  });

  it('does not mutate its input', () => {
    const l = at('warm', 1);
    const copy = { ...l };
    step(l, ok, policy, T1);
    assert.deepEqual(l, copy);
  });
});

// Runs a sequence and returns every state reached and every transition.
function run(events: LivenessEvent[], p = policy): { states: NodeState[]; transitions: Transition[]; last: Liveness } {
  let l = initialLiveness(0);
  const states: NodeState[] = [];
  const transitions: Transition[] = [];
  events.forEach((e, i) => {
    const r = step(l, e, p, i + 1);
    l = r.next;
    states.push(l.state);
    transitions.push(...r.transitions);
  });
  return { states, transitions, last: l };
}

describe('step sequences', () => {
  it('flapping probes never make a warm node active with rise 2', () => {
    const { states } = run([ok, soft, ok, soft, ok, hard, ok, soft, ok, soft]);
    assert.ok(states.every((s) => s === 'warm'));
  });

  it('flapping probes never take an active node down with fall 3', () => {
    const { states } = run([ok, ok, soft, soft, ok, soft, soft, ok, soft, soft, ok]);
    assert.deepEqual(states.slice(1), Array(10).fill('active'));
  });

  it('a full life: warm → active → down → warm → active → drain → deleted', () => {
    const { transitions, last } = run([ok, ok, soft, soft, soft, ok, ok, drain, ok, register, passBeat, del, register]);
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to}`),
      ['warm→active', 'active→down', 'down→warm', 'warm→active', 'active→drain', 'drain→deleted'],
    );
    assert.equal(last.state, 'deleted');
  });

  it('a recovered node needs rise passes again, counting the one that woke it', () => {
    const { states } = run([ok, ok, hard, ok, ok], { rise: 3, fall: 3 });
    assert.deepEqual(states, ['warm', 'warm', 'warm', 'warm', 'warm']);
    const again = run([ok, ok, ok, hard, ok, ok, ok], { rise: 3, fall: 3 });
    assert.deepEqual(again.states, ['warm', 'warm', 'active', 'down', 'warm', 'warm', 'active']);
  });

  it('a drained node that died comes back through warm like any down node', () => {
    const { states } = run([ok, ok, drain, timeout, register, ok, ok, del]);
    assert.deepEqual(states, ['warm', 'active', 'drain', 'down', 'warm', 'warm', 'active', 'deleted']);
  });
});
