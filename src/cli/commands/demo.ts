// `xplane demo` (`npm start`): the local playground.
import { resolve } from 'node:path';
import { createLogger } from '../../log/index.js';
import { killPlayground, startDemo, stopDemo } from '../../demo/index.js';
import { UsageError, parse } from '../../flags/index.js';
import { out } from '../output.js';

/** Usage text of `xplane demo`. */
export const demoHelp = `Usage: xplane demo [--dir DIR] [--listen HOST:PORT] [--dns-listen HOST:PORT] [--dns embedded|powerdns]

The local playground: creates DIR (default .xplane/demo) with SQLite, a local
bare Git repo seeded from this repo's example on the \`local\` target, starts
the reconciler, the embedded DNS server and inline converge (nodes are
\`xplane agent --simulate-load\` processes on loopback addresses), and prints
what to try. Builds a Pulumi CLI from Go modules first when none is found.
Ctrl-C or SIGTERM removes the nodes and stops (exit 0); a second one kills
the nodes and exits at once (exit 1). A start first stops nodes that an
earlier playground in DIR left running (after kill -9, say), and names any
other process that holds an address a node needs.

  --dir DIR              playground state (default .xplane/demo)
  --listen HOST:PORT     API address (default 127.0.0.1:7070)
  --dns-listen HOST:PORT DNS address (default 127.0.0.1:5353)
  --dns powerdns         answer DNS from a local PowerDNS instead of the embedded
                         server: starts pdns_server (needs pdns-server and
                         pdns-backend-sqlite3) on the DNS address, its API on
                         127.0.0.1:8081, and seeds dns.provider: powerdns; a
                         playground keeps the DNS it was seeded with (another
                         --dir for the other)`;

/**
 * npm runs the start script through `sh -c` and forwards a SIGTERM only to
 * that shell, which dies of it without passing it on: the playground would
 * keep running with no parent. Under npm, the parent's exit counts as a stop.
 */
function onParentExit(stop: () => void): () => void {
  if (process.env.npm_lifecycle_event === undefined) return () => undefined;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500);
  timer.unref();
  return () => clearInterval(timer);
}

/** Runs the playground until a signal; returns the exit code. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { dir: { type: 'string' }, listen: { type: 'string' }, 'dns-listen': { type: 'string' }, dns: { type: 'string' } }, false);
  const dir = resolve(typeof values.dir === 'string' ? values.dir : '.xplane/demo');
  const dns = values.dns ?? 'embedded';
  if (dns !== 'embedded' && dns !== 'powerdns') throw new UsageError(`--dns: expected embedded or powerdns, got "${String(dns)}"`);
  const log = createLogger();
  // Listen for signals before anything starts, so one during start-up or
  // during a converge still ends in a clean stop, never a bare kill.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      stop.abort();
      return;
    }
    // A second signal: the person will not wait for the clean stop.
    out(`${signal} again: killing the playground’s processes and exiting (the next start tidies up)`);
    killPlayground(dir);
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopWatching = onParentExit(() => stop.abort());
  const plane = await startDemo({
    dir,
    listen: typeof values.listen === 'string' ? values.listen : '127.0.0.1:7070',
    dnsListen: typeof values['dns-listen'] === 'string' ? values['dns-listen'] : '127.0.0.1:5353',
    log,
    say: out,
    signal: stop.signal,
    dns,
  });
  if (!plane) return stop.signal.aborted ? 0 : 1;
  if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  await stopDemo(plane, dir, out);
  stopWatching();
  // The control plane's first converge is not tracked by its stop: one still
  // waiting to retry a locked stack would start nodes after this point. Exit
  // now, so nothing of the playground outlives the stop.
  process.exit(0);
}
