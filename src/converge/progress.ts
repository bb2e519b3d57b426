// Progress of a converge run: live status lines per stack on a terminal,
// plain prefixed lines in CI logs, and the closing summary table.
import type { ConvergeReporter } from './converge.js';
import type { ChangeCounts, StackAction, StackEvent, StackResult } from './types.js';

const CHANGE_OPS = new Set(['create', 'update', 'delete', 'replace', 'create-replacement', 'delete-replaced']);

/** `+2 ~1 -1 ±0 (5 same)` from change counts. */
export function describeChanges(c: ChangeCounts): string {
  const n = (k: string): number => c[k] ?? 0;
  const parts = [`+${n('create')}`, `~${n('update')}`, `-${n('delete')}`];
  if (n('replace') > 0) parts.push(`±${n('replace')}`);
  return `${parts.join(' ')} (${n('same')} same)`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Plain lines, one per event worth reading, for CI logs and pipes. */
export class PlainReporter implements ConvergeReporter {
  constructor(private readonly write: (line: string) => void) {}
  started(stack: string, action: StackAction, attempt: number): void {
    this.write(`[${stack}] ${action} started${attempt > 1 ? ` (try ${attempt})` : ''}`);
  }
  event(stack: string, e: StackEvent): void {
    if (e.kind === 'step' && !e.done && CHANGE_OPS.has(e.op)) this.write(`[${stack}] ${e.op} ${e.type} ${e.name}`);
    if (e.kind === 'diagnostic') this.write(`[${stack}] ${e.severity}: ${e.message}`);
  }
  retrying(stack: string, waitMs: number, reason: string): void {
    this.write(`[${stack}] ${reason}; retrying in ${seconds(waitMs)}`);
  }
  finished(r: StackResult): void {
    this.write(`[${r.stack}] ${r.status} in ${seconds(r.durationMs)}${r.status === 'succeeded' ? `: ${describeChanges(r.changes)}` : `: ${r.error ?? ''}`}`);
  }
}

interface Row {
  action: string;
  state: string;
  steps: number;
  last: string;
  started: number;
}

/** Where TtyReporter draws: a stream that is not a terminal after all has no width. */
export type Terminal = Pick<NodeJS.WriteStream, 'write'> & { readonly columns?: number };

/** One live line per stack, redrawn in place on a terminal. */
export class TtyReporter implements ConvergeReporter {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stacks: string[],
    private readonly out: Terminal = process.stderr,
  ) {
    for (const s of stacks) this.rows.set(s, { action: '', state: 'waiting', steps: 0, last: '', started: 0 });
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }
  started(stack: string, action: StackAction, attempt: number): void {
    this.update(stack, { action, state: attempt > 1 ? `running (try ${attempt})` : 'running', started: Date.now() });
  }
  event(stack: string, e: StackEvent): void {
    const row = this.rows.get(stack);
    if (!row) return;
    if (e.kind === 'step' && e.done) row.steps += 1;
    if (e.kind === 'step' && !e.done && CHANGE_OPS.has(e.op)) row.last = `${e.op} ${e.name}`;
    if (e.kind === 'diagnostic' && e.severity === 'error') row.last = e.message.split('\n')[0] ?? '';
  }
  retrying(stack: string, waitMs: number): void {
    this.update(stack, { state: `locked, retry in ${seconds(waitMs)}` });
  }
  finished(r: StackResult): void {
    this.update(r.stack, { state: r.status, last: r.status === 'succeeded' ? describeChanges(r.changes) : ((r.error ?? '').split('\n')[0] ?? '') });
    if ([...this.rows.values()].every((row) => row.state === 'succeeded' || row.state === 'failed')) this.close();
  }
  /** Draws the final state and stops redrawing. */
  close(): void {
    this.draw();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
  private update(stack: string, patch: Partial<Row>): void {
    const row = this.rows.get(stack);
    if (row) Object.assign(row, patch);
    this.draw();
  }
  private draw(): void {
    const width = Math.max(...this.stacks.map((s) => s.length), 5);
    const lines = this.stacks.map((s) => {
      const r = this.rows.get(s) as Row;
      const elapsed = r.started ? seconds(Date.now() - r.started) : '';
      return `${s.padEnd(width)}  ${r.action.padEnd(8)} ${r.state.padEnd(22)} ${String(r.steps).padStart(3)} steps ${elapsed.padStart(7)}  ${r.last}`.slice(
        0,
        (this.out.columns ?? 120) - 1,
      );
    });
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) text += `\x1b[2K${line}\n`;
    this.out.write(text);
    this.drawn = lines.length;
  }
}

/** A multi-line error on one line for a table cell. */
function oneLine(text: string, max = 160): string {
  const flat = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The closing table: one row per stack. */
export function summaryTable(results: StackResult[]): string {
  const rows = [
    ['STACK', 'ACTION', 'RESULT', 'CHANGES', 'TIME'],
    ...results.map((r) => [
      r.stack,
      r.action,
      r.status + (r.attempts > 1 ? ` (${r.attempts} tries)` : ''),
      r.status === 'succeeded' ? describeChanges(r.changes) : oneLine(r.error ?? ''),
      seconds(r.durationMs),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
