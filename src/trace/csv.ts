// The metrics history as CSV (docs/simulate.md): what `xplane metrics export`
// writes and `xplane simulate` reads. A header row names the columns, in any
// order; a trace written by hand or by another system (a Prometheus query) in
// the same columns reads the same way. Every problem names the file and line.
import type { HistoryRow } from '../store/index.js';

/** Every column, in the order the export writes them. */
export const TRACE_COLUMNS = [
  'time',
  'service',
  'region',
  'cpu_demand',
  'active',
  'warm',
  'drain',
  'down',
  'unknown',
  'weight',
  'qps',
  'error_rate',
  'rtt_ms',
] as const;

/** A column name. */
export type TraceColumn = (typeof TRACE_COLUMNS)[number];

/** Columns a trace must have; the others default to 0 (counts) or empty (figures). */
const REQUIRED: readonly TraceColumn[] = ['time', 'service', 'region', 'cpu_demand', 'active'];

/** A row of a trace file, with the line it came from. */
export interface TraceRow extends HistoryRow {
  line: number;
}

/** A trace that cannot be read; the message names the file and line. */
export class TraceError extends Error {
  /** Stable code for callers. */
  readonly code = 'XP_ERR_TRACE';
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

/** The header line of an export. */
export function csvHeader(): string {
  return TRACE_COLUMNS.join(',');
}

// Six decimals keep a threshold comparison honest (0.700001 stays above 0.7) without float noise.
function num(v: number | null, decimals: number): string {
  return v === null ? '' : String(Number(v.toFixed(decimals)));
}

/** One history row as a CSV line: the time in ISO 8601 UTC, empty cells for figures nobody reported. */
export function csvLine(row: HistoryRow): string {
  return [
    new Date(row.at).toISOString(),
    quote(row.service),
    quote(row.region),
    num(row.cpuDemand, 6),
    row.active,
    row.warm,
    row.drain,
    row.down,
    row.unknown,
    row.weight ?? '',
    num(row.qps, 3),
    num(row.errorRate, 6),
    num(row.rttMs, 3),
  ].join(',');
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Splits one CSV line into cells (RFC 4180 quotes); undefined when a quote is left open. */
function cells(line: string): string[] | undefined {
  // Most lines (every line an export writes) have no quotes: a plain split is several times faster.
  if (!line.includes('"')) return line.split(',').map((s) => s.trim());
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  if (quoted) return undefined;
  out.push(cell);
  return out.map((s) => s.trim());
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;
const UNIX_SECONDS = /^\d+(?:\.\d+)?$/;

/** Epoch ms of an ISO 8601 time with a zone, or of Unix seconds (as Prometheus writes them). */
function parseTime(text: string): number | undefined {
  if (UNIX_SECONDS.test(text)) return Math.round(Number(text) * 1000);
  if (!ISO.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Reads a trace: a header row, then one row per (time, service, region). Blank lines and lines
 * starting with `#` are skipped. Rows come back sorted by time (ties in file order). Throws a
 * TraceError naming `file` and the line for a bad header, a malformed row, or a (time, service,
 * region) given twice.
 */
export function parseTrace(text: string, file: string): TraceRow[] {
  const lines = text.split(/\r?\n/);
  let columns: Map<TraceColumn, number> | undefined;
  let width = 0;
  const rows: TraceRow[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const where = `${file}:${line}`;
    const got = cells(raw);
    if (!got) throw new TraceError(`${where}: a quoted cell is not closed`);
    if (!columns) {
      columns = header(got, where);
      width = got.length;
      continue;
    }
    if (got.length !== width) throw new TraceError(`${where}: expected ${width} cells as in the header, got ${got.length}`);
    const row = readRow(got, columns, where, line);
    const key = `${row.at}\u0000${row.service}\u0000${row.region}`;
    const first = seen.get(key);
    if (first !== undefined) throw new TraceError(`${where}: ${row.service} ${row.region} at ${new Date(row.at).toISOString()} is already on line ${first}`);
    seen.set(key, line);
    rows.push(row);
  }
  if (!columns) throw new TraceError(`${file}: empty: expected a header row (${csvHeader()}) and rows`);
  if (rows.length === 0) throw new TraceError(`${file}: no rows after the header`);
  return rows.sort((a, b) => a.at - b.at);
}

function header(names: string[], where: string): Map<TraceColumn, number> {
  const known = new Set<string>(TRACE_COLUMNS);
  const columns = new Map<TraceColumn, number>();
  names.forEach((name, index) => {
    if (!known.has(name)) throw new TraceError(`${where}: unknown column "${name}" in the header (expected some of: ${TRACE_COLUMNS.join(', ')})`);
    if (columns.has(name as TraceColumn)) throw new TraceError(`${where}: column "${name}" is named twice in the header`);
    columns.set(name as TraceColumn, index);
  });
  const missing = REQUIRED.filter((c) => !columns.has(c));
  if (missing.length > 0) throw new TraceError(`${where}: the header lacks ${missing.join(', ')} (the first row must name the columns: ${csvHeader()})`);
  return columns;
}

// Every region of a pass shares its time: the last one parsed is kept, and most rows reuse it.
let lastTime = { text: '', ms: 0 };

function readRow(got: string[], columns: Map<TraceColumn, number>, where: string, line: number): TraceRow {
  const cell = (c: TraceColumn): string => {
    const at = columns.get(c);
    return at === undefined ? '' : (got[at] ?? '');
  };
  const timeText = cell('time');
  const at = timeText === lastTime.text ? lastTime.ms : parseTime(timeText);
  if (at !== undefined) lastTime = { text: timeText, ms: at };
  if (at === undefined) throw new TraceError(`${where}: time: expected an ISO 8601 time with a zone (2026-03-02T08:00:00Z) or Unix seconds, got "${timeText}"`);
  const name = (c: 'service' | 'region'): string => {
    const v = cell(c);
    if (v === '') throw new TraceError(`${where}: ${c} is empty`);
    return v;
  };
  const count = (c: TraceColumn): number => {
    const v = cell(c);
    if (v === '' && !REQUIRED.includes(c)) return 0;
    if (!/^\d+$/.test(v)) throw new TraceError(`${where}: ${c}: expected a whole number of nodes >= 0, got "${v}"`);
    return Number(v);
  };
  const figure = (c: TraceColumn, max = Number.POSITIVE_INFINITY): number | null => {
    const v = cell(c);
    if (v === '') return null;
    const n = Number(v);
    if (!/^[0-9.eE+-]+$/.test(v) || !Number.isFinite(n) || n < 0 || n > max) {
      throw new TraceError(`${where}: ${c}: expected a number >= 0${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''} or an empty cell, got "${v}"`);
    }
    return n;
  };
  const weightText = cell('weight');
  if (weightText !== '' && !/^\d+$/.test(weightText))
    throw new TraceError(`${where}: weight: expected a whole number >= 0 or an empty cell, got "${weightText}"`);
  return {
    line,
    at,
    service: name('service'),
    region: name('region'),
    cpuDemand: figure('cpu_demand'),
    active: count('active'),
    warm: count('warm'),
    drain: count('drain'),
    down: count('down'),
    unknown: count('unknown'),
    weight: weightText === '' ? null : Number(weightText),
    qps: figure('qps'),
    errorRate: figure('error_rate', 1),
    rttMs: figure('rtt_ms'),
  };
}
