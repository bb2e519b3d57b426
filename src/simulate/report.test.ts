import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replay, type TimedDecision } from './replay.js';
import { comparisonText, mergeDecisions, replayText, timeText } from './report.js';
import { declarations, ramp, step, trace } from './test-fixtures.js';

const d = (at: number, summary: string): TimedDecision => ({ at, controller: 'autoscale', kind: 'scale_up', service: 's', region: 'jp', summary });

describe('the simulate report', () => {
  it('prints times to the second, and to the millisecond when they have one', () => {
    assert.equal(timeText(Date.UTC(2026, 2, 2, 8, 1)), '2026-03-02T08:01:00Z');
    assert.equal(timeText(Date.UTC(2026, 2, 2, 8, 1, 0, 250)), '2026-03-02T08:01:00.250Z');
  });

  it('merges two decision lists in time order, marking what only one of them made', () => {
    const against = [d(1, 'a'), d(2, 'b'), d(2, 'c'), d(5, 'e')];
    const config = [d(1, 'a'), d(2, 'c'), d(3, 'x'), d(5, 'e2')];
    assert.deepEqual(
      mergeDecisions(against, config).map((m) => `${m.mark}${m.decision.at}${m.decision.summary}`),
      [' 1a', '-2b', ' 2c', '+3x', '-5e', '+5e2'],
    );
  });

  it('shows one replay as a table and its decisions as a code block', async () => {
    const run = {
      label: '.',
      result: replay({ declarations: await declarations(), rows: trace(600, step), file: 'step.csv', bootMs: 60_000, intervalMs: 10_000 }),
    };
    assert.equal(
      replayText('step.csv', 60_000, run),
      [
        'Replay of step.csv through the controllers (planPass) with `.`: 2026-03-02T08:00:00Z → 2026-03-02T08:10:00Z (10m), 61 passes; nodes boot in 60s.',
        '',
        '| service region | scale-ups | scale-downs | node-hours | overloaded min | min at max_nodes | weight changes | flaps |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| svc-plus jp | 1 | 0 | 0.32 | 1.0 | 0.0 | 0 | 0 |',
        '| svc-plus sg | 0 | 0 | 0.17 | 0.0 | 0.0 | 0 | 0 |',
        '| svc-plus all | 1 | 0 | 0.48 | 1.0 | 0.0 | 0 | 0 |',
        '',
        'Decisions (2):',
        '',
        '    2026-03-02T08:01:00Z  autoscale: svc-plus jp 1→2 (cpu=0.90)',
        '    2026-03-02T08:02:00Z  gtm: svc-plus jp include jp-svc-plus-2 (active)',
        '',
      ].join('\n'),
    );
  });

  it('marks the figures and decisions that differ between two configurations', async () => {
    const rows = trace(1_200, ramp);
    const run = async (label: string, cooldown: number) => ({
      label,
      result: replay({ declarations: await declarations({}, { cooldown }), rows, file: 'ramp.csv', bootMs: 60_000, intervalMs: 10_000 }),
    });
    const text = comparisonText('ramp.csv', 60_000, await run('cooldown 2m', 120_000), await run('cooldown 10m', 600_000));
    assert.match(text, /^Config: `cooldown 2m`\. Against: `cooldown 10m`\. A figure that differs reads against → config\.$/m);
    assert.match(text, /^\| svc-plus jp \| 2 → 4 \| 0 \| [\d.]+ → [\d.]+ \| [\d.]+ → [\d.]+ \| 0\.0 → [\d.]+ \| 0 \| 0 \|$/m);
    assert.match(text, /^\| svc-plus sg \| 0 \| 0 \| 0\.33 \| 0\.0 \| 0\.0 \| 0 \| 0 \|$/m, 'sg is the same under both');
    assert.match(text, /^ {6}2026-03-02T08:01:00Z {2}autoscale: svc-plus jp 1→2 \(cpu=0\.90\)$/m);
    assert.match(text, /^ {4}\+ 2026-03-02T08:05:00Z {2}autoscale: svc-plus jp 2→3 \(cpu=0\.80\)$/m);
    assert.match(text, /^ {4}- 2026-03-02T08:11:00Z {2}autoscale: svc-plus jp 2→3 \(cpu=1\.00\)$/m);
  });
});
