// `xplane nodes`: the registered nodes, from a running server (GET /v1/nodes).
import type { NodeView } from '../../nodes/index.js';
import { parse } from '../../flags/index.js';
import { out, outJson, paint, table, type Color } from '../output.js';
import { SERVER_HELP, SERVER_OPTIONS, callServer, serverAccess } from '../server-api.js';
import { agoText } from '../when.js';

/** Usage text of `xplane nodes`. */
export const nodesHelp = `Usage: xplane nodes [--service S] [--region R] [--state STATE] [--json] [--server URL]

Lists the nodes a running xplane serve has registered, by name: state, since
when, last heartbeat, CPU and address. Deleted nodes are listed only with
--state deleted.

  --service S     only this service's nodes
  --region R      only this region's nodes
  --state STATE   warm | active | drain | down | deleted
  --json          print the API's answer as JSON
${SERVER_HELP}`;

/** How a state reads at a glance. */
export const STATE_COLORS: Record<string, Color> = { active: 'green', warm: 'yellow', drain: 'yellow', down: 'red', deleted: 'dim' };

/** Runs `xplane nodes`; returns the exit code. */
export async function nodesCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...SERVER_OPTIONS, service: { type: 'string' }, region: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' } },
    false,
  );
  const access = serverAccess(values.server as string | undefined);
  const query = new URLSearchParams();
  for (const key of ['service', 'region', 'state'] as const) {
    const value = values[key];
    if (typeof value === 'string') query.set(key, value);
  }
  const { body: nodes } = await callServer<NodeView[]>(access, `/v1/nodes${query.size > 0 ? `?${query.toString()}` : ''}`);
  if (values.json) {
    outJson(nodes);
    return 0;
  }
  if (nodes.length === 0) {
    out('no nodes');
    return 0;
  }
  const now = Date.now();
  const rows = nodes.map((n) => [
    n.name,
    n.service,
    n.region,
    paint(n.state, STATE_COLORS[n.state] ?? 'bold'),
    agoText(n.stateSince, now),
    agoText(n.lastHeartbeat, now),
    n.cpu === null ? '-' : n.cpu.toFixed(2),
    n.address,
  ]);
  for (const line of table([['NAME', 'SERVICE', 'REGION', 'STATE', 'SINCE', 'HEARTBEAT', 'CPU', 'ADDRESS'], ...rows])) out(line);
  return 0;
}
