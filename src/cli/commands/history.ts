// `xplane history`: the loop's decisions, newest first, from a running server (GET /v1/history).
import type { HistoryEntry } from '../../decision/index.js';
import { UsageError, parse } from '../../flags/index.js';
import { out, outJson, paint, table } from '../output.js';
import { SERVER_HELP, SERVER_OPTIONS, callServer, serverAccess } from '../server-api.js';
import { clockText } from '../when.js';

/** Usage text of `xplane history`. */
export const historyHelp = `Usage: xplane history [--service S] [--region R] [--since 1h] [--limit N] [--before TIME] [--json] [--server URL]

The control loop's decisions, newest first: when, the commit that carried
each, and its commit line (what changed and why). A page never splits the
decisions of one pass; when there are more, the last line says how to ask for
the next page.

  --service S     only this service's decisions
  --region R      only this region's decisions
  --since T       a duration back from now (30m, 24h) or an ISO 8601 time
  --limit N       at most N decisions (default 50, at most 1000)
  --before TIME   only decisions before this ISO 8601 time (the next page)
  --json          print the entries as JSON: at, commit, controller, service,
                  region, kind, from, to, summary, why
${SERVER_HELP}`;

/** Runs `xplane history`; returns the exit code. */
export async function historyCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...SERVER_OPTIONS,
      service: { type: 'string' },
      region: { type: 'string' },
      since: { type: 'string' },
      before: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    false,
  );
  const limit = typeof values.limit === 'string' ? values.limit : '50';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError(`--limit: expected a number from 1 to 1000, got ${limit}`);
  const access = serverAccess(values.server as string | undefined);
  const query = new URLSearchParams();
  for (const key of ['service', 'region', 'since', 'before'] as const) {
    const value = values[key];
    if (typeof value === 'string') query.set(key, value);
  }
  query.set('limit', limit);
  const { body: entries, headers } = await callServer<HistoryEntry[]>(access, `/v1/history?${query.toString()}`);
  if (values.json) {
    outJson(entries);
    return 0;
  }
  if (entries.length === 0) {
    out('no decisions');
    return 0;
  }
  const rows = entries.map((e) => [paint(clockText(e.at), 'dim'), e.commit === null ? '-' : e.commit.slice(0, 7), e.summary]);
  for (const line of table([['TIME', 'COMMIT', 'DECISION'], ...rows])) out(line);
  const next = /[?&]before=([^&>]+)/.exec(headers.get('link') ?? '')?.[1];
  if (next !== undefined) out(paint(`more: add --before ${decodeURIComponent(next)}`, 'dim'));
  return 0;
}
