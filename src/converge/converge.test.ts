import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { converge, type ConvergeReporter } from './converge.js';
import { FakeRunner } from './fake-runner.js';
import type { StackResult } from './types.js';

function recorder(): ConvergeReporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    started: (s, a, n) => lines.push(`start ${s} ${a} #${n}`),
    event: () => undefined,
    retrying: (s, ms) => lines.push(`retry ${s} in ${ms}`),
    finished: (r: StackResult) => lines.push(`done ${r.stack} ${r.status}`),
  };
}

const ok = { changes: { create: 1 }, outputs: {} };

describe('converge', () => {
  it('runs every stack and returns results in stack order', async () => {
    const runner = new FakeRunner({ jp: [ok], sg: [{ changes: { same: 3 }, outputs: { x: 1 } }] });
    const results = await converge({ stacks: ['jp', 'sg'], action: 'up', refresh: false, runner, reporter: recorder() });
    assert.deepEqual(
      results.map((r) => [r.stack, r.status, r.changes]),
      [
        ['jp', 'succeeded', { create: 1 }],
        ['sg', 'succeeded', { same: 3 }],
      ],
    );
    assert.deepEqual(results[1]?.outputs, { x: 1 });
  });

  it('never runs more stacks at once than the concurrency limit', async () => {
    const runner = new FakeRunner({}, 20);
    await converge({ stacks: ['a', 'b', 'c', 'd', 'e'], action: 'preview', refresh: false, runner, reporter: recorder(), concurrency: 2 });
    assert.equal(runner.maxParallel, 2);
    assert.equal(runner.calls.length, 5);
  });

  it('retries a locked stack with doubling backoff, then succeeds', async () => {
    const runner = new FakeRunner({ jp: [{ fail: 'locked', message: 'locked' }, { fail: 'locked', message: 'locked' }, ok] });
    const waits: number[] = [];
    const reporter = recorder();
    const [result] = await converge({
      stacks: ['jp'],
      action: 'up',
      refresh: false,
      runner,
      reporter,
      lockBackoffMs: 100,
      sleep: async (ms) => void waits.push(ms),
    });
    assert.equal(result?.status, 'succeeded');
    assert.equal(result.attempts, 3);
    assert.deepEqual(waits, [100, 200]);
  });

  it('fails clearly when a stack stays locked past the limit', async () => {
    const runner = new FakeRunner({ jp: [{ fail: 'locked', message: 'the stack is currently locked by 1 lock(s)' }] });
    const [result] = await converge({
      stacks: ['jp'],
      action: 'up',
      refresh: false,
      runner,
      reporter: recorder(),
      lockAttempts: 3,
      sleep: async () => undefined,
    });
    assert.equal(result?.status, 'failed');
    assert.equal(result.attempts, 3);
    assert.match(result.error ?? '', /stayed locked after 3 tries/);
  });

  it('does not retry a real failure, and keeps converging the other stacks', async () => {
    const runner = new FakeRunner({ jp: [{ fail: 'failed', message: 'error: creating EC2 Instance: UnauthorizedOperation' }], sg: [ok] });
    const results = await converge({ stacks: ['jp', 'sg'], action: 'up', refresh: true, runner, reporter: recorder() });
    assert.deepEqual(
      results.map((r) => [r.stack, r.status, r.attempts]),
      [
        ['jp', 'failed', 1],
        ['sg', 'succeeded', 1],
      ],
    );
    assert.match(results[0]?.error ?? '', /UnauthorizedOperation/);
    assert.ok(runner.calls.every((c) => c.refresh));
  });
});
