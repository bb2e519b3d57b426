// `xplane drain NAME`: takes a node out of DNS through a running server (POST /v1/nodes/drain).
import { UsageError, parse } from '../../flags/index.js';
import { out, outJson } from '../output.js';
import { SERVER_HELP, SERVER_OPTIONS, callServer, serverAccess } from '../server-api.js';

/** Usage text of `xplane drain`. */
export const drainHelp = `Usage: xplane drain NAME [--json] [--server URL]

Drains a node: it leaves DNS at the next pass and stays alive until the
autoscaler removes it (or it is replaced). Draining a drained node is not an
error. Exit 1 for an unknown or deleted node.

  NAME     the node, e.g. jp-svc-plus-2
  --json   print the API's answer as JSON
${SERVER_HELP}`;

/** Runs `xplane drain`; returns the exit code. */
export async function drainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...SERVER_OPTIONS, json: { type: 'boolean' } }, true);
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('name the node to drain');
  if (extra.length > 0) throw new UsageError(`drain takes one node, not ${positionals.length}`);
  const access = serverAccess(values.server as string | undefined);
  const { body } = await callServer<{ state: string }>(access, '/v1/nodes/drain', { name });
  if (values.json) outJson({ name, ...body });
  else out(`${name}: ${body.state}`);
  return 0;
}
