// `xplane simulate`: replays a metrics trace through the real controllers
// (planPass) for one configuration, or two side by side.
import { readFile } from 'node:fs/promises';
import { parseDuration } from '../../config/index.js';
import { comparisonText, readConfig, replay, replayText, type LabeledReplay } from '../../simulate/index.js';
import { parseTrace } from '../../trace/index.js';
import { UsageError, parse, settingsFrom, settingsOptions } from '../args.js';
import { outJson } from '../output.js';

/** Usage text of `xplane simulate`. */
export const simulateHelp = `Usage: xplane simulate --metrics FILE [--config DIR|REV] [--against DIR|REV] [--boot 90s] [--json]

Replays a metrics trace (CSV from xplane metrics export, or written by hand or
another system in the same columns: docs/simulate.md) through the real GTM and
autoscale controllers (the same planPass that xplane serve runs) on a simulated
clock: each (service, region)'s CPU demand is spread over its nodes that are
active at each step, nodes the policy adds turn active after --boot, drains and
removals follow the policy's timers. Prints the commit lines the loop would
have made, with their times, and a table per service and region: scale-ups,
scale-downs, node-hours, minutes overloaded (CPU above scale_up_cpu), minutes
at max_nodes, weight changes and flaps (a scale change reversed within two
cooldowns). The table is Markdown, the decisions a Markdown code block.

  --metrics FILE      the trace (required)
  --config DIR|REV    the configuration to replay: a GitOps repo directory, or
                      a Git revision of the repository here (default .)
  --against DIR|REV   also replay this configuration (e.g. origin/main) and show
                      both side by side, differences marked: against → config
  --boot <duration>   how long a new node takes to turn active (default 90s)
  --json              print {trace, boot, config, against?} with each replay's
                      decisions and figures

Passes run at each row's time, and every reconcile_interval (the setting:
--reconcile-interval, XPLANE_RECONCILE_INTERVAL or xplane.yaml; default 10s)
between rows further apart than that.`;

/** Runs `xplane simulate`; returns the exit code. */
export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { ...settingsOptions(), metrics: { type: 'string' }, against: { type: 'string' }, boot: { type: 'string' }, json: { type: 'boolean' } },
    false,
  );
  const file = typeof values.metrics === 'string' ? values.metrics : undefined;
  if (file === undefined) throw new UsageError('--metrics FILE is required (a trace from xplane metrics export)');
  const bootText = typeof values.boot === 'string' ? values.boot : '90s';
  const bootMs = parseDuration(bootText);
  if (bootMs === undefined) throw new UsageError(`--boot: expected a duration like 30s, 90s or 5m, got "${bootText}"`);
  // --config is the settings file's flag elsewhere; here it names the configuration to replay.
  const configSpec = typeof values.config === 'string' ? values.config : '.';
  const { settings } = await settingsFrom({ ...values, config: undefined });
  const cwd = process.cwd();

  const rows = parseTrace(await readTrace(file), file);
  const run = async (spec: string, flag: string): Promise<LabeledReplay> => {
    const source = await readConfig(spec, cwd, flag);
    return { label: source.label, result: replay({ declarations: source.declarations, rows, file, bootMs, intervalMs: settings.reconcile_interval }) };
  };
  const config = await run(configSpec, '--config');
  const against = typeof values.against === 'string' ? await run(values.against, '--against') : undefined;

  if (values.json) {
    const view = (r: LabeledReplay): unknown => ({ label: r.label, ...r.result });
    outJson({ trace: file, bootMs, config: view(config), ...(against ? { against: view(against) } : {}) });
  } else {
    process.stdout.write(against ? comparisonText(file, bootMs, config, against) : replayText(file, bootMs, config));
  }
  return 0;
}

async function readTrace(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`--metrics ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}
