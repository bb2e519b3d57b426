// Host CPU and memory from /proc. CPU busy is a rate, so it needs two reads
// of the cumulative counters in /proc/stat; the parsing is pure and the
// sampler only keeps the previous read.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fraction, type NodeStats, type StatsSource } from './stats.js';

/** Cumulative CPU time (in ticks) spent busy and in total since boot. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * Reads the aggregate `cpu` line of /proc/stat. Idle time is idle + iowait;
 * guest and guest_nice are left out of the total because the kernel already
 * counts them in user and nice.
 */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Busy share of the CPU time between two reads; 0 when no time passed or counters went back. */
export function cpuBusyFraction(previous: CpuTimes, next: CpuTimes): number {
  const total = next.total - previous.total;
  const busy = next.busy - previous.busy;
  if (total <= 0 || busy < 0) return 0;
  return fraction(busy / total);
}

/**
 * Used share of memory from /proc/meminfo: 1 − MemAvailable/MemTotal. Kernels
 * before 3.14 lack MemAvailable; MemFree + Buffers + Cached approximates it.
 */
export function parseMeminfo(text: string): number | undefined {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined || total <= 0) return undefined;
  const available = kb.get('MemAvailable') ?? sumIfAll([kb.get('MemFree'), kb.get('Buffers'), kb.get('Cached')]);
  if (available === undefined) return undefined;
  return fraction(1 - available / total);
}

function sumIfAll(values: (number | undefined)[]): number | undefined {
  let sum = 0;
  for (const v of values) {
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

/** Reads a text file; replaceable in tests. */
export type ReadText = (path: string) => Promise<string>;

/** Options for ProcStats; the defaults read the real files. */
export interface ProcStatsOptions {
  readText?: ReadText;
  /** Directory holding stat and meminfo (default /proc). */
  procDir?: string;
}

/**
 * Host CPU and memory for heartbeats. Where /proc is missing (a developer's
 * macOS running the playground) it falls back to the same counters through
 * node:os rather than failing every heartbeat.
 */
export class ProcStats implements StatsSource {
  private previous: CpuTimes | undefined;
  private readonly readText: ReadText;
  private readonly procDir: string;

  constructor(options: ProcStatsOptions = {}) {
    this.readText = options.readText ?? ((path) => readFile(path, 'utf8'));
    this.procDir = options.procDir ?? '/proc';
  }

  /** CPU busy since the previous sample (the first sample covers the time since boot) and memory used now. */
  async sample(): Promise<NodeStats> {
    const [statText, meminfoText] = await Promise.all([this.read('stat'), this.read('meminfo')]);
    const times = (statText === undefined ? undefined : parseProcStat(statText)) ?? osCpuTimes();
    const cpu = cpuBusyFraction(this.previous ?? { busy: 0, total: 0 }, times);
    this.previous = times;
    const mem = (meminfoText === undefined ? undefined : parseMeminfo(meminfoText)) ?? fraction(1 - os.freemem() / os.totalmem());
    return { cpu, mem };
  }

  private async read(file: string): Promise<string | undefined> {
    try {
      return await this.readText(`${this.procDir}/${file}`);
    } catch {
      return undefined;
    }
  }
}

function osCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}
