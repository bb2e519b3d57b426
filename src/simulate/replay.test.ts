import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrace, TraceError } from '../trace/index.js';
import { decisionLine } from './report.js';
import { replay, type ReplayResult } from './replay.js';
import { T0, declarations, ramp, step, trace, traceText } from './test-fixtures.js';

const lines = (r: ReplayResult): string[] => r.decisions.map(decisionLine);
const jp = (r: ReplayResult) => r.regions.find((t) => t.region === 'jp');

describe('replay', () => {
  it('scales jp up at the step from 0.5 to 0.9 and takes the new node in once it has booted', async () => {
    const decl = await declarations({ scale_up_cpu: 0.7, scale_down_cpu: 0.3 }, { cooldown: 120_000 });
    const r = replay({ declarations: decl, rows: trace(600, step), file: 'trace.csv', bootMs: 60_000, intervalMs: 10_000 });
    assert.deepEqual(lines(r), [
      '2026-03-02T08:01:00Z  autoscale: svc-plus jp 1→2 (cpu=0.90)',
      '2026-03-02T08:02:00Z  gtm: svc-plus jp include jp-svc-plus-2 (active)',
    ]);
    assert.equal(r.start, T0);
    assert.equal(r.end, T0 + 600_000);
    assert.equal(r.passes, 61);
    // One node for a minute, two for nine; 0.9 on one node for the minute before the scale-up's node booted.
    assert.deepEqual(jp(r), {
      service: 'svc-plus',
      region: 'jp',
      scaleUps: 1,
      scaleDowns: 0,
      nodeHours: (60 + 2 * 540) / 3600,
      overloadedMinutes: 1,
      atMaxMinutes: 0,
      weightChanges: 0,
      flaps: 0,
    });
  });

  it('makes fewer scale-ups of the same ramp with a longer cooldown', async () => {
    const run = async (cooldown: number): Promise<ReplayResult> =>
      replay({
        declarations: await declarations({ scale_up_cpu: 0.7 }, { cooldown }),
        rows: trace(1_200, ramp),
        file: 'trace.csv',
        bootMs: 60_000,
        intervalMs: 10_000,
      });
    const short = await run(120_000);
    const long = await run(600_000);
    assert.deepEqual(
      short.decisions.filter((d) => d.kind === 'scale_up').map((d) => decisionLine(d)),
      [
        '2026-03-02T08:01:00Z  autoscale: svc-plus jp 1→2 (cpu=0.90)',
        '2026-03-02T08:05:00Z  autoscale: svc-plus jp 2→3 (cpu=0.80)',
        '2026-03-02T08:09:00Z  autoscale: svc-plus jp 3→4 (cpu=0.80)',
        '2026-03-02T08:13:00Z  autoscale: svc-plus jp 4→5 (cpu=0.80)',
      ],
    );
    assert.deepEqual(
      long.decisions.filter((d) => d.kind === 'scale_up').map((d) => decisionLine(d)),
      ['2026-03-02T08:01:00Z  autoscale: svc-plus jp 1→2 (cpu=0.90)', '2026-03-02T08:11:00Z  autoscale: svc-plus jp 2→3 (cpu=1.00)'],
    );
    assert.ok((jp(long)?.overloadedMinutes ?? 0) > (jp(short)?.overloadedMinutes ?? 0), 'the longer cooldown leaves jp overloaded for longer');
  });

  it('drains the victim of a scale-down, removes it after the drain and counts it until then', async () => {
    const decl = await declarations({ scale_down_cpu: 0.3 }, { cooldown: 120_000, scale_down_stabilization: 300_000, drain: 60_000 });
    // Two nodes at 0.2 each: the rule wants down from the first pass, stabilization waits 300 s.
    const text = traceText(600, () => 0.4).replace(/svc-plus,jp,0\.4,1,100/g, 'svc-plus,jp,0.4,2,100');
    const r = replay({ declarations: decl, rows: parseTrace(text, 'trace.csv'), file: 'trace.csv', bootMs: 60_000, intervalMs: 10_000 });
    assert.deepEqual(lines(r), [
      '2026-03-02T08:05:00Z  autoscale: svc-plus jp 2→1 (cpu=0.20)',
      '2026-03-02T08:06:00Z  autoscale: svc-plus jp remove jp-svc-plus-2 (drained 60s)',
    ]);
    assert.equal(jp(r)?.nodeHours, (2 * 360 + 240) / 3600);
  });

  it('takes a node down when the trace’s down count rises, replaces it after replace_after, and takes the new one in once booted', async () => {
    const decl = await declarations({}, { replace_after: 120_000 });
    const text = traceText(300, () => 0.5)
      .replace(/^(.*),svc-plus,jp,0\.5,1,100$/gm, (line, at: string) => (Date.parse(at) >= T0 + 60_000 ? `${at},svc-plus,jp,0.5,1,100,1` : `${line},0`))
      .replace('time,service,region,cpu_demand,active,weight', 'time,service,region,cpu_demand,active,weight,down')
      .replace(/^(.*svc-plus,sg,.*)$/gm, '$1,0');
    const r = replay({ declarations: decl, rows: parseTrace(text, 'trace.csv'), file: 'trace.csv', bootMs: 30_000, intervalMs: 10_000 });
    assert.deepEqual(lines(r), [
      '2026-03-02T08:01:00Z  gtm: svc-plus jp weight 100→0 (ready 0 < min 1)',
      '2026-03-02T08:01:00Z  gtm: svc-plus jp exclude jp-svc-plus-1 (down)',
      '2026-03-02T08:03:00Z  autoscale: svc-plus jp replace jp-svc-plus-1 → jp-svc-plus-2 (down 2m)',
      '2026-03-02T08:03:30Z  gtm: svc-plus jp weight 0→100 (ready 1/1)',
      '2026-03-02T08:03:30Z  gtm: svc-plus jp include jp-svc-plus-2 (active)',
    ]);
  });
});

describe('replay refuses a trace that does not fit the configuration', () => {
  it('names the line of a row whose region the service does not declare', async () => {
    const text = `${traceText(20, step)}2026-03-02T08:00:30Z,svc-plus,us,0.5,1,100\n`;
    await assert.rejects(
      async () => replay({ declarations: await declarations(), rows: parseTrace(text, 'trace.csv'), file: 'trace.csv', bootMs: 60_000, intervalMs: 10_000 }),
      (err: unknown) =>
        err instanceof TraceError && err.message === 'trace.csv:8: region "us" is not declared for svc-plus (its gtm and autoscale policies name jp, sg)',
    );
  });

  it('names the region of a replayed service that has no rows', async () => {
    const text = traceText(20, step)
      .split('\n')
      .filter((l) => !l.includes(',sg,'))
      .join('\n');
    await assert.rejects(
      async () => replay({ declarations: await declarations(), rows: parseTrace(text, 'trace.csv'), file: 'trace.csv', bootMs: 60_000, intervalMs: 10_000 }),
      (err: unknown) =>
        err instanceof TraceError &&
        err.message === 'trace.csv: no rows for svc-plus in region sg, which the configuration declares (every region of a replayed service needs its load)',
    );
  });

  it('replays only the declared services and says which it left out', async () => {
    const text = `${traceText(20, step)}2026-03-02T08:00:00Z,svc-other,jp,0.5,1,100\n`;
    const r = replay({ declarations: await declarations(), rows: parseTrace(text, 'trace.csv'), file: 'trace.csv', bootMs: 60_000, intervalMs: 10_000 });
    assert.deepEqual(r.notes, ['svc-other (first on line 8) is not declared in this configuration: not replayed']);
    assert.deepEqual(
      r.regions.map((t) => `${t.service} ${t.region}`),
      ['svc-plus jp', 'svc-plus sg'],
    );
  });
});
