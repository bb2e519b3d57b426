// `xplane metrics export`: the metrics history `xplane serve` recorded (what
// the controllers saw per service and region) as CSV, for `xplane simulate`.
import { existsSync } from 'node:fs';
import { formatDuration, parseDuration } from '../../config/index.js';
import { openStore } from '../../store/index.js';
import { csvHeader, csvLine } from '../../trace/index.js';
import { UsageError, parse, settingsFrom, settingsHelp, settingsOptions } from '../args.js';
import { out } from '../output.js';

/** Usage text of `xplane metrics`. */
export const metricsHelp = `Usage: xplane metrics export [--since 24h] [--service S] [settings]

Writes the metrics history that xplane serve keeps in its store (db) as CSV
on stdout: one row per service, region and reconcile pass (at most one per
reconcile_interval), oldest first, with a header row. The columns are
described in docs/simulate.md; feed the file to xplane simulate --metrics.
serve keeps metrics_retention of it (default 7 days), at most metrics_max_rows rows.

  --since <duration>   rows from this long ago until now (default 24h)
  --service <name>     only this service's rows

${settingsHelp()}`;

// Rows are read an hour at a time, so a week of a large fleet never sits in memory at once.
const PAGE_MS = 3_600_000;

/** Runs `xplane metrics`; returns the exit code. */
export async function metricsCommand(argv: string[], now: () => number = Date.now): Promise<number> {
  const { values, positionals } = parse(argv, { ...settingsOptions(), since: { type: 'string' }, service: { type: 'string' } }, true);
  const [sub, ...extra] = positionals;
  if (sub !== 'export') throw new UsageError(sub === undefined ? 'expected a subcommand: export' : `unknown subcommand "${sub}" (expected export)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0] ?? ''}"`);
  const sinceText = typeof values.since === 'string' ? values.since : '24h';
  const sinceMs = parseDuration(sinceText);
  if (sinceMs === undefined || sinceMs <= 0) throw new UsageError(`--since: expected a duration like 30m, 24h or 168h, got "${sinceText}"`);
  const service = typeof values.service === 'string' ? values.service : undefined;
  const { settings } = await settingsFrom(values);
  // A path that names no file would be created empty by the store: say what is wrong instead.
  if (!/^[a-z][a-z0-9+.-]+:/i.test(settings.db) && !existsSync(settings.db)) {
    throw new Error(`no database at ${settings.db} (the db setting of the xplane serve that recorded the history)`);
  }
  const store = await openStore(settings.db);
  try {
    const until = now();
    out(csvHeader());
    let rows = 0;
    for (let from = until - sinceMs; from <= until; from += PAGE_MS) {
      const page = await store.listHistory({ since: from, until: Math.min(from + PAGE_MS, until + 1), ...(service === undefined ? {} : { service }) });
      if (page.length > 0) out(page.map(csvLine).join('\n'));
      rows += page.length;
    }
    if (rows === 0) process.stderr.write(`xplane metrics export: no history in the last ${formatDuration(sinceMs)}${service ? ` for ${service}` : ''}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
