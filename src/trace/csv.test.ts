import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryRow } from '../store/index.js';
import { TraceError, csvHeader, csvLine, parseTrace } from './csv.js';

const row = (at: number, over: Partial<HistoryRow> = {}): HistoryRow => ({
  at,
  service: 'svc-plus',
  region: 'jp',
  cpuDemand: 0.9,
  active: 1,
  warm: 0,
  drain: 0,
  down: 0,
  unknown: 1,
  weight: 100,
  qps: 90.5,
  errorRate: 0.001,
  rttMs: 42,
  ...over,
});

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => parseTrace(text, 'trace.csv'),
    (err: unknown) => err instanceof TraceError && message.test(err.message),
  );
}

describe('trace CSV', () => {
  it('reads back what it writes, empty cells as nulls', () => {
    const rows = [
      row(Date.UTC(2026, 2, 2, 8)),
      row(Date.UTC(2026, 2, 2, 8, 0, 10), { region: 'sg', cpuDemand: null, qps: null, errorRate: null, rttMs: null, weight: null }),
    ];
    const text = [csvHeader(), ...rows.map(csvLine)].join('\n');
    assert.deepEqual(
      parseTrace(text, 'trace.csv'),
      rows.map((r, i) => ({ ...r, line: i + 2 })),
    );
  });

  it('writes the time in ISO 8601 UTC and rounds figures to what a threshold needs', () => {
    assert.equal(csvLine(row(Date.UTC(2026, 2, 2, 8), { cpuDemand: 0.7000004 })), '2026-03-02T08:00:00.000Z,svc-plus,jp,0.7,1,0,0,0,1,100,90.5,0.001,42');
  });

  it('takes columns in any order, optional ones left out, Unix seconds, comments, blank lines and CRLF', () => {
    const text = '# by hand\r\nregion,service,time,active,cpu_demand\r\n\r\njp,svc-plus,1772438400,1,0.5\r\njp,svc-plus,1772438410.5,1,0.9\r\n';
    const rows = parseTrace(text, 'hand.csv');
    assert.deepEqual(
      rows.map((r) => [r.at, r.cpuDemand, r.warm, r.weight, r.qps, r.line]),
      [
        [1772438400_000, 0.5, 0, null, null, 4],
        [1772438410_500, 0.9, 0, null, null, 5],
      ],
    );
  });

  it('sorts rows by time and keeps ties in file order', () => {
    const text = ['time,service,region,cpu_demand,active', '20,s,b,1,1', '10,s,a,1,1', '20,s,a,1,1'].join('\n');
    assert.deepEqual(
      parseTrace(text, 't.csv').map((r) => `${r.at / 1000}${r.region}`),
      ['10a', '20b', '20a'],
    );
  });

  it('names the file and line of a malformed row', () => {
    const head = 'time,service,region,cpu_demand,active';
    rejects(`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,1\n2026-03-02T08:00:10Z,svc-plus,,0.9,1`, /^trace\.csv:3: region is empty$/);
    rejects(`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,high,1`, /^trace\.csv:2: cpu_demand: expected a number >= 0 or an empty cell, got "high"$/);
    rejects(`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,0.5`, /^trace\.csv:2: expected 5 cells as in the header, got 4$/);
    rejects(`${head}\nyesterday,svc-plus,jp,0.5,1`, /^trace\.csv:2: time: expected an ISO 8601 time/);
    rejects(`${head}\n2026-03-02T08:00:00,svc-plus,jp,0.5,1`, /^trace\.csv:2: time: /);
    rejects(`${head}\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,-1`, /^trace\.csv:2: active: expected a whole number of nodes >= 0, got "-1"$/);
    rejects(`${head},error_rate\n2026-03-02T08:00:00Z,svc-plus,jp,0.5,1,1.5`, /^trace\.csv:2: error_rate: expected a number >= 0 and <= 1/);
    rejects(`${head}\n2026-03-02T08:00:00Z,"svc-plus,jp,0.5,1`, /^trace\.csv:2: a quoted cell is not closed$/);
  });

  it('names both lines of a (time, service, region) given twice', () => {
    rejects('time,service,region,cpu_demand,active\n10,s,jp,1,1\n\n10,s,jp,2,1', /^trace\.csv:4: s jp at 1970-01-01T00:00:10\.000Z is already on line 2$/);
  });

  it('refuses a header with an unknown or missing column, and a file without rows', () => {
    rejects('time,service,region,cpu,active\n', /^trace\.csv:1: unknown column "cpu" in the header/);
    rejects('time,service,cpu_demand,active\n', /^trace\.csv:1: the header lacks region/);
    rejects('time,service,region,cpu_demand,active,active\n', /^trace\.csv:1: column "active" is named twice/);
    rejects('', /^trace\.csv: empty/);
    rejects('time,service,region,cpu_demand,active\n', /^trace\.csv: no rows after the header$/);
  });
});
