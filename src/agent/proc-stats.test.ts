import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cpuBusyFraction, parseMeminfo, parseProcStat, ProcStats } from './proc-stats.js';

const STAT = `cpu  45123 1445 3531 116204 1235 0 344 1334 500 0
cpu0 31970 741 1786 48528 764 0 138 625 0 0
intr 1234 0 0
ctxt 99
`;

describe('parseProcStat', () => {
  const cases: { name: string; text: string; want: ReturnType<typeof parseProcStat> }[] = [
    // busy = user+nice+system+irq+softirq+steal; guest is already inside user.
    {
      name: 'reads the aggregate line, counting iowait as idle and skipping guest',
      text: STAT,
      want: { busy: 45123 + 1445 + 3531 + 0 + 344 + 1334, total: 45123 + 1445 + 3531 + 116204 + 1235 + 0 + 344 + 1334 },
    },
    { name: 'accepts the four-field line of old kernels', text: 'cpu 10 0 5 85\n', want: { busy: 15, total: 100 } },
    { name: 'ignores per-cpu lines when the aggregate is missing', text: 'cpu0 1 2 3 4\n', want: undefined },
    { name: 'rejects garbage numbers', text: 'cpu a b c d\n', want: undefined },
    { name: 'rejects empty text', text: '', want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(parseProcStat(c.text), c.want));
});

describe('cpuBusyFraction', () => {
  const cases: { name: string; prev: { busy: number; total: number }; next: { busy: number; total: number }; want: number }[] = [
    { name: 'is the busy share of the elapsed ticks', prev: { busy: 100, total: 1000 }, next: { busy: 175, total: 1100 }, want: 0.75 },
    { name: 'is 0 when idle throughout', prev: { busy: 100, total: 1000 }, next: { busy: 100, total: 1200 }, want: 0 },
    { name: 'is 1 when busy throughout', prev: { busy: 100, total: 1000 }, next: { busy: 300, total: 1200 }, want: 1 },
    { name: 'is 0 when no time passed', prev: { busy: 100, total: 1000 }, next: { busy: 100, total: 1000 }, want: 0 },
    { name: 'is 0 when the counters went back (reset)', prev: { busy: 100, total: 1000 }, next: { busy: 10, total: 50 }, want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(cpuBusyFraction(c.prev, c.next), c.want));
});

describe('parseMeminfo', () => {
  const cases: { name: string; text: string; want: number | undefined }[] = [
    { name: 'is 1 − MemAvailable/MemTotal', text: 'MemTotal:  1000 kB\nMemFree:  100 kB\nMemAvailable:  250 kB\n', want: 0.75 },
    {
      name: 'falls back to MemFree+Buffers+Cached without MemAvailable',
      text: 'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB\n',
      want: 0.5,
    },
    { name: 'is undefined without MemTotal', text: 'MemFree: 100 kB\nMemAvailable: 250 kB\n', want: undefined },
    { name: 'is undefined when nothing says what is available', text: 'MemTotal: 1000 kB\nMemFree: 100 kB\n', want: undefined },
    { name: 'clamps to 0 when more is available than exists', text: 'MemTotal: 1000 kB\nMemAvailable: 2000 kB\n', want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(parseMeminfo(c.text), c.want));
});

describe('ProcStats', () => {
  it('reports CPU from the delta between two reads of stat', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xplane-proc-'));
    try {
      await writeFile(join(dir, 'meminfo'), 'MemTotal: 1000 kB\nMemAvailable: 600 kB\n');
      await writeFile(join(dir, 'stat'), 'cpu 100 0 0 900 0 0 0 0 0 0\n');
      const stats = new ProcStats({ procDir: dir });
      await stats.sample();
      await writeFile(join(dir, 'stat'), 'cpu 150 0 10 940 0 0 0 0 0 0\n');
      assert.deepEqual(await stats.sample(), { cpu: 0.6, mem: 0.4 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to node:os counters when the proc files are missing', async () => {
    const stats = new ProcStats({ procDir: '/nonexistent-proc' });
    await stats.sample();
    const { cpu, mem } = await stats.sample();
    assert.ok(cpu >= 0 && cpu <= 1, `cpu ${cpu}`);
    assert.ok(mem !== undefined && mem >= 0 && mem <= 1, `mem ${String(mem)}`);
  });

  it('reads the real /proc with values in 0..1', async (t) => {
    if (process.platform !== 'linux') {
      t.skip('no /proc');
      return;
    }
    const stats = new ProcStats();
    await stats.sample();
    await new Promise((r) => setTimeout(r, 20));
    const { cpu, mem } = await stats.sample();
    assert.ok(cpu >= 0 && cpu <= 1, `cpu ${cpu}`);
    assert.ok(mem !== undefined && mem > 0 && mem < 1, `mem ${String(mem)}`);
  });
});
