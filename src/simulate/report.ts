// How a replay reads: its decisions as commit lines with their times, and its
// figures as a table, one row per (service, region) and a total per service.
// Compared with another configuration's replay, a figure that differs reads
// `against → config`, and the decisions are merged in time order, each marked
// `-` (only against), `+` (only config) or ` ` (both, same time and line).
// The table is Markdown, and the decisions are indented four spaces (a
// Markdown code block), so the same text reads in a terminal and in a pull
// request comment.
import type { ReplayResult, TimedDecision } from './replay.js';
import type { RegionTally } from './tally.js';

/** A replay with what ran it, as `xplane simulate` reports it. */
export interface LabeledReplay {
  /** The configuration, as given (`.`, `origin/main`) with its commit when it is a revision. */
  label: string;
  result: ReplayResult;
}

type Figure = Exclude<keyof RegionTally, 'service' | 'region'>;

const COLUMNS: readonly { figure: Figure; title: string; decimals: number }[] = [
  { figure: 'scaleUps', title: 'scale-ups', decimals: 0 },
  { figure: 'scaleDowns', title: 'scale-downs', decimals: 0 },
  { figure: 'nodeHours', title: 'node-hours', decimals: 2 },
  { figure: 'overloadedMinutes', title: 'overloaded min', decimals: 1 },
  { figure: 'atMaxMinutes', title: 'min at max_nodes', decimals: 1 },
  { figure: 'weightChanges', title: 'weight changes', decimals: 0 },
  { figure: 'flaps', title: 'flaps', decimals: 0 },
];

/** The time of a decision, in ISO 8601 UTC, to the second unless it has milliseconds. */
export function timeText(at: number): string {
  const iso = new Date(at).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** A decision as `xplane simulate` prints it: its time, two spaces, its commit line. */
export function decisionLine(d: TimedDecision): string {
  return `${timeText(d.at)}  ${d.summary}`;
}

function span(r: ReplayResult): string {
  const hours = (r.end - r.start) / 3_600_000;
  return `${timeText(r.start)} → ${timeText(r.end)} (${hours >= 1 ? `${Number(hours.toFixed(1))}h` : `${Math.round((r.end - r.start) / 60_000)}m`}), ${r.passes} passes`;
}

/** Per service, its regions' figures and their total, in the order the replay gives them. */
function rowsOf(result: ReplayResult): { name: string; figures: RegionTally }[] {
  const out: { name: string; figures: RegionTally }[] = [];
  const services = [...new Set(result.regions.map((r) => r.service))];
  for (const service of services) {
    const regions = result.regions.filter((r) => r.service === service);
    for (const r of regions) out.push({ name: `${service} ${r.region}`, figures: r });
    if (regions.length > 1) {
      const total: RegionTally = { ...zero(service, 'all') };
      for (const r of regions) for (const c of COLUMNS) total[c.figure] += r[c.figure];
      out.push({ name: `${service} all`, figures: total });
    }
  }
  return out;
}

function zero(service: string, region: string): RegionTally {
  return { service, region, scaleUps: 0, scaleDowns: 0, nodeHours: 0, overloadedMinutes: 0, atMaxMinutes: 0, weightChanges: 0, flaps: 0 };
}

function cell(v: number, decimals: number): string {
  return v.toFixed(decimals);
}

function table(header: string, rows: string[][]): string[] {
  const head = `| ${header} | ${COLUMNS.map((c) => c.title).join(' | ')} |`;
  const rule = `| --- | ${COLUMNS.map(() => '---:').join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** The text of one replay: what it ran, the figures, the decisions. */
export function replayText(trace: string, bootMs: number, run: LabeledReplay): string {
  const r = run.result;
  const lines = [
    `Replay of ${trace} through the controllers (planPass) with \`${run.label}\`: ${span(r)}; nodes boot in ${bootMs / 1000}s.`,
    ...r.notes.map((n) => `Note: ${n}.`),
    '',
    ...table(
      'service region',
      rowsOf(r).map(({ name, figures }) => [name, ...COLUMNS.map((c) => cell(figures[c.figure], c.decimals))]),
    ),
    '',
    `Decisions (${r.decisions.length}):`,
    '',
    ...(r.decisions.length === 0 ? ['    none'] : r.decisions.map((d) => `    ${decisionLine(d)}`)),
  ];
  return `${lines.join('\n')}\n`;
}

/** The text of two replays of one trace side by side: `against` is the base, `config` the change. */
export function comparisonText(trace: string, bootMs: number, config: LabeledReplay, against: LabeledReplay): string {
  const base = rowsOf(against.result);
  const next = new Map(rowsOf(config.result).map((r) => [r.name, r.figures]));
  const names = [...new Set([...base.map((r) => r.name), ...next.keys()])];
  const baseBy = new Map(base.map((r) => [r.name, r.figures]));
  const rows = names.map((name) => {
    const a = baseBy.get(name);
    const c = next.get(name);
    return [
      name,
      ...COLUMNS.map((col) => {
        const av = a ? cell(a[col.figure], col.decimals) : '–';
        const cv = c ? cell(c[col.figure], col.decimals) : '–';
        return av === cv ? cv : `${av} → ${cv}`;
      }),
    ];
  });
  const merged = mergeDecisions(against.result.decisions, config.result.decisions);
  const changed = merged.filter((m) => m.mark !== ' ').length;
  const lines = [
    `Replay of ${trace} through the controllers (planPass): ${span(config.result)}; nodes boot in ${bootMs / 1000}s.`,
    `Config: \`${config.label}\`. Against: \`${against.label}\`. A figure that differs reads against → config.`,
    ...against.result.notes.map((n) => `Note (against): ${n}.`),
    ...config.result.notes.map((n) => `Note (config): ${n}.`),
    '',
    ...table('service region', rows),
    '',
    `Decisions: ${against.result.decisions.length} against, ${config.result.decisions.length} config, ${changed} differ (- against only, + config only):`,
    '',
    ...(merged.length === 0 ? ['    none'] : merged.map((m) => `    ${m.mark} ${decisionLine(m.decision)}`)),
  ];
  return `${lines.join('\n')}\n`;
}

/** A decision in the merged list of two replays. */
export interface MergedDecision {
  mark: ' ' | '-' | '+';
  decision: TimedDecision;
}

/** Both replays' decisions in time order; a decision both made at the same time with the same line is shared. */
export function mergeDecisions(against: readonly TimedDecision[], config: readonly TimedDecision[]): MergedDecision[] {
  const out: MergedDecision[] = [];
  let i = 0;
  let j = 0;
  while (i < against.length || j < config.length) {
    const t = Math.min(against[i]?.at ?? Number.POSITIVE_INFINITY, config[j]?.at ?? Number.POSITIVE_INFINITY);
    const a: TimedDecision[] = [];
    const c: TimedDecision[] = [];
    while (i < against.length && against[i]?.at === t) a.push(against[i++] as TimedDecision);
    while (j < config.length && config[j]?.at === t) c.push(config[j++] as TimedDecision);
    const inConfig = new Set(c.map((d) => d.summary));
    const inAgainst = new Set(a.map((d) => d.summary));
    for (const d of a) out.push({ mark: inConfig.has(d.summary) ? ' ' : '-', decision: d });
    for (const d of c) if (!inAgainst.has(d.summary)) out.push({ mark: '+', decision: d });
  }
  return out;
}
