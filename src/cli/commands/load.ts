// `xplane load`: traffic for the local playground, resolved through DNS.
import { runLoad } from '../../load/index.js';
import { parse, UsageError } from '../../flags/index.js';
import { out, outJson } from '../output.js';

/** Usage text of `xplane load`. */
export const loadHelp = `Usage: xplane load [--qps N] [--name NAME] [--dns HOST:PORT] [--port P] [--duration D] [--json]

Sends HTTP requests at a steady rate to the nodes of a service, resolving its
name through DNS before every request — the embedded DNS server of
\`xplane serve\` by default — and prints, each second, what was sent and which
node answered. Stops on Ctrl-C or after --duration.

  --qps N          requests per second (default 50)
  --name NAME      the name to resolve (default api.svc.plus)
  --dns HOST:PORT  the DNS server (default 127.0.0.1:5353)
  --port P         the nodes' HTTP port (default 8080)
  --duration D     stop after D (e.g. 30s, 5m)
  --json           one JSON object per second, then the totals`;

/** Runs `xplane load`; returns the exit code. */
export async function loadCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      qps: { type: 'string' },
      name: { type: 'string' },
      dns: { type: 'string' },
      port: { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean' },
    },
    false,
  );
  const number = (flag: string, raw: string | boolean | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: expected a whole number >= 1, got "${String(raw)}"`);
    return n;
  };
  const qps = number('qps', values.qps, 50);
  const port = number('port', values.port, 8080);
  let durationMs: number | undefined;
  if (typeof values.duration === 'string') {
    const { parseDuration } = await import('../../config/index.js');
    durationMs = parseDuration(values.duration);
    if (durationMs === undefined) throw new UsageError(`--duration: expected a duration like 30s or 5m, got "${values.duration}"`);
  }
  const name = typeof values.name === 'string' ? values.name : 'api.svc.plus';
  const dns = typeof values.dns === 'string' ? values.dns : '127.0.0.1:5353';
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  if (!values.json) out(`load: ${qps} req/s to ${name} (DNS ${dns}, HTTP port ${port}); Ctrl-C stops`);
  const totals = await runLoad({
    name,
    dns,
    port,
    qps,
    durationMs,
    signal: abort.signal,
    onSecond: (s) => {
      if (values.json) outJson(s);
      else {
        const nodes = Object.entries(s.byAddress)
          .sort()
          .map(([a, n]) => `${a}=${n}`)
          .join(' ');
        out(`sent ${s.sent}  ok ${s.ok}  failed ${s.failed}  ${s.meanMs === null ? '' : `${s.meanMs} ms  `}${nodes}`);
      }
    },
  });
  if (values.json) outJson({ totals });
  else out(`total: sent ${totals.sent}, ok ${totals.ok}, failed ${totals.failed}`);
  return 0;
}
