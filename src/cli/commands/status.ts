// `xplane status`: per service and region, the weights, nodes, holds and
// freezes a running server reports (GET /v1/config, GET /v1/services/:service).
import type { ConfigView } from '../../gitops/index.js';
import { parse } from '../../flags/index.js';
import type { ServiceStatusView } from '../../reconcile/index.js';
import { out, outJson, paint, table } from '../output.js';
import { SERVER_HELP, SERVER_OPTIONS, callServer, serverAccess } from '../server-api.js';
import { agoText, clockText } from '../when.js';
import { STATE_COLORS } from './nodes.js';

/** Usage text of `xplane status`. */
export const statusHelp = `Usage: xplane status [--service S] [--json] [--server URL]

What a running xplane serve reports: the configuration in force and the
last sync (with a rejected commit's problems as file:line:col), then per
service and region the DNS weight, ready and desired nodes, nodes by state,
human-override holds and when they end, why the weight is what it is, a
self-protection freeze, and the last decision with its commit.

  --service S   only this service (default: every declared service)
  --json        print {config, services: [...]} as JSON, as the API answers
${SERVER_HELP}`;

function short(commit: string | null): string {
  return commit === null ? '-' : commit.slice(0, 7);
}

function configLines(config: ConfigView, now: number): string[] {
  const lines = [`config ${short(config.commit)}${config.commit === null ? ' (none in force)' : ' in force'}`];
  const sync = config.lastSync;
  if (sync === null) return [...lines, 'last sync: none yet'];
  const status = sync.status === 'ok' ? paint('ok', 'green') : paint(sync.status, 'red');
  lines.push(`last sync ${agoText(sync.at, now)}: ${status} (${sync.message})`);
  for (const issue of sync.issues) lines.push(`  ${paint('error', 'red')} ${issue.text}`);
  return lines;
}

function serviceLines(s: ServiceStatusView, now: number): string[] {
  const lines = ['', paint(s.service, 'bold')];
  if (s.alert === 'no_ready_nodes') lines.push(`  ${paint('alert', 'red')}: no region has a ready node (fail static)`);
  if (s.frozen) lines.push(`  ${paint('self-protection', 'yellow')} (${s.frozen.reason}) since ${clockText(s.frozen.since)}: ${s.frozen.detail}`);
  if (s.lastPass?.error) lines.push(`  ${paint('last pass failed', 'red')}: ${s.lastPass.error}`);
  const rows = Object.entries(s.regions).map(([region, r]) => {
    const counts = new Map<string, number>();
    for (const n of r.nodes) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
    const nodes = [...counts].map(([state, n]) => paint(`${state} ${n}`, STATE_COLORS[state] ?? 'bold')).join(' ') || '-';
    const holds = r.holds.map((h) => `${h.key} until ${clockText(h.until)} (${agoText(h.until, now)})`).join(', ') || '-';
    const weight =
      r.weight === null ? '-' : r.computedWeight !== null && r.computedWeight !== r.weight ? `${r.weight} (wants ${r.computedWeight})` : String(r.weight);
    return [region, weight, `${r.readyNodes}/${r.desiredNodes ?? '-'}`, nodes, holds, r.gtmReason ?? '-'];
  });
  lines.push(...table([['REGION', 'WEIGHT', 'READY/DESIRED', 'NODES', 'HOLDS', 'WHY'], ...rows], '  '));
  for (const [region, r] of Object.entries(s.regions)) {
    if (r.lastDecision)
      lines.push(paint(`  ${region} last decision ${clockText(r.lastDecision.at)} ${short(r.lastDecision.commit)}: ${r.lastDecision.summary}`, 'dim'));
  }
  return lines;
}

/** Runs `xplane status`; returns the exit code. */
export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...SERVER_OPTIONS, service: { type: 'string' }, json: { type: 'boolean' } }, false);
  const access = serverAccess(values.server as string | undefined);
  const { body: config } = await callServer<ConfigView>(access, '/v1/config');
  const names = typeof values.service === 'string' ? [values.service] : config.services;
  const services = await Promise.all(names.map(async (name) => (await callServer<ServiceStatusView>(access, `/v1/services/${encodeURIComponent(name)}`)).body));
  if (values.json) {
    outJson({ config, services });
    return 0;
  }
  const now = Date.now();
  for (const line of configLines(config, now)) out(line);
  for (const s of services) for (const line of serviceLines(s, now)) out(line);
  if (services.length === 0) out('no services declared');
  return 0;
}
