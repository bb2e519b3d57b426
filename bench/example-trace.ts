// npm run trace:example — writes the example trace that `xplane simulate`
// replays out of the box and the example pull-request workflow uses:
// examples/traces/svc-plus-day.csv, one day of svc-plus in jp and sg at
// one-minute steps (bench/trace-model.ts; seed 19, so it is the same every run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../test/helpers/serve.js';
import { traceCsv } from './trace-model.js';

/** Where the example lives, from the repository root. */
export const EXAMPLE_TRACE = 'examples/traces/svc-plus-day.csv';

const path = join(ROOT, EXAMPLE_TRACE);
mkdirSync(dirname(path), { recursive: true });
// Midnight in Tokyo, 2026-03-02.
writeFileSync(path, traceCsv({ start: Date.UTC(2026, 2, 1, 15, 0, 0), stepMs: 60_000, durationMs: 24 * 3_600_000, seed: 19 }));
process.stderr.write(`wrote ${EXAMPLE_TRACE}\n`);
