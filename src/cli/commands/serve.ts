// `xplane serve`: the long-running reconciler.
import { createLogger } from '../../log/index.js';
import { startControlPlane } from '../../runtime/index.js';
import { parse, settingsFrom, settingsHelp, settingsOptions } from '../args.js';
import { out } from '../output.js';

/** Usage text of `xplane serve`. */
export const serveHelp = `Usage: xplane serve [settings]

Runs the control plane: the sync loop, the node API (register, heartbeat,
drain, list), the active health prober and /metrics. Stops cleanly on SIGTERM
or SIGINT, persisting the node registry.

Tokens: XPLANE_BOOTSTRAP_TOKEN and XPLANE_ADMIN_TOKEN (or *_FILE naming a
file). When unset, tokens are generated once in the folder that holds the work dir
(bootstrap-token, admin-token, mode 0600).

${settingsHelp()}`;

/** Runs `xplane serve` until a signal arrives; returns the exit code. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, settingsOptions(), false);
  const { settings } = await settingsFrom(values);
  const log = createLogger();
  // Listen for signals before anything starts, so a signal during start-up or a
  // running converge still ends in a clean stop.
  let signalled: (signal: string) => void = () => undefined;
  const stopping = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (signal: NodeJS.Signals): void => signalled(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const plane = await startControlPlane(settings, log);
  out(`xplane serve: API on ${plane.url} (repo ${settings.repo}, branch ${settings.branch})`);
  const signal = await stopping;
  log.info({ signal }, `xplane serve: ${signal}, shutting down`);
  await plane.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
