// `xplane demo` (`npm start`): the local playground.
import { createLogger } from '../../log/index.js';
import { startDemo, stopDemo } from '../../demo/demo.js';
import { parse } from '../args.js';
import { out } from '../output.js';

/** Usage text of `xplane demo`. */
export const demoHelp = `Usage: xplane demo [--dir DIR] [--listen HOST:PORT] [--dns-listen HOST:PORT]

The local playground: creates DIR (default .xplane/demo) with SQLite, a local
bare Git repo seeded from this repo's example on the \`local\` target, starts
the reconciler, the embedded DNS server and inline converge (nodes are
\`xplane agent --simulate-load\` processes on loopback addresses), and prints
what to try. Builds a Pulumi CLI from Go modules first when none is found.
Ctrl-C removes the nodes and stops.

  --dir DIR              playground state (default .xplane/demo)
  --listen HOST:PORT     API address (default 127.0.0.1:7070)
  --dns-listen HOST:PORT DNS address (default 127.0.0.1:5353)`;

/** Runs the playground until a signal; returns the exit code. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { dir: { type: 'string' }, listen: { type: 'string' }, 'dns-listen': { type: 'string' } }, false);
  const log = createLogger();
  // Listen for Ctrl-C before anything starts, so a signal during start-up or
  // during a converge still ends in a clean stop, never a bare kill.
  let signalled: () => void = () => undefined;
  const stopping = new Promise<void>((resolve) => (signalled = resolve));
  const onSignal = (): void => signalled();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const plane = await startDemo({
    dir: typeof values.dir === 'string' ? values.dir : '.xplane/demo',
    listen: typeof values.listen === 'string' ? values.listen : '127.0.0.1:7070',
    dnsListen: typeof values['dns-listen'] === 'string' ? values['dns-listen'] : '127.0.0.1:5353',
    log,
    say: out,
  });
  if (!plane) return 1;
  await stopping;
  await stopDemo(plane, out);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
