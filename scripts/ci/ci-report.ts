// Markdown for the example workflows: the pull request's preview comment
// (.github/workflows/preview.yml) and the drift report (drift.yml). Pure
// functions of what the xplane commands printed, and a small command line:
//
//   node --import tsx scripts/ci/ci-report.ts preview --preview preview.json \
//     [--validate validate.txt --validate-exit N] [--plan plan.txt] \
//     [--section 'Title=file.md']... > comment.md
//   node --import tsx scripts/ci/ci-report.ts drift drift.json > drift.md
//
// The comment starts with a marker line, so the workflow finds its own comment
// and updates it in place on every push instead of adding one more.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The first line of the preview comment: the workflow finds its comment by it. */
export const PREVIEW_MARKER = '<!-- xplane-preview -->';
/** The first line of the drift issue. */
export const DRIFT_MARKER = '<!-- xplane-drift -->';
/** GitHub refuses comments over 65,536 characters; the diffs share what is left after the rest. */
const COMMENT_LIMIT = 60_000;

/** A property that differs, as `xplane preview --json` and `xplane drift --json` print it. */
export interface PropertyChange {
  path: string;
  old?: unknown;
  new?: unknown;
}

/** A resource that changes. */
export interface ResourceChange {
  op: string;
  type: string;
  name: string;
  properties: PropertyChange[];
}

/** One element of `xplane preview --json`. */
export interface PreviewResult {
  stack: string;
  status: string;
  changes: Record<string, number>;
  resources?: ResourceChange[];
  diff?: string | null;
  error: string | null;
}

/** `xplane drift --json`. */
export interface DriftReport {
  drift: boolean;
  stacks: { stack: string; status: 'clean' | 'drifted' | 'failed'; resources: ResourceChange[]; error: string | null }[];
}

/** What the preview comment is made of. */
export interface PreviewInputs {
  preview: PreviewResult[];
  /** `xplane validate`'s output and exit code, when it ran. */
  validate?: { text: string; exit: number };
  /** `xplane plan`'s output, when platform-config/ changed. */
  plan?: string;
  /** More sections from other steps, in order: a title and markdown. */
  sections?: { title: string; markdown: string }[];
}

const SIGN: Record<string, string> = { create: '+', update: '~', delete: '-', replace: '±', 'create-replacement': '+', 'delete-replaced': '-' };

function fence(text: string, lang = 'text'): string {
  // A body holding ``` would end the block early: a longer fence cannot be closed by it.
  const ticks = '`'.repeat(Math.max(3, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length + 1)));
  return `${ticks}${lang}\n${text.trimEnd()}\n${ticks}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function shortType(type: string): string {
  return type.replace(/^pulumi-nodejs:dynamic\//, '');
}

/** `path: old → new` for each property, for a table cell. */
function propertyCell(props: PropertyChange[], max = 6): string {
  const parts = props.slice(0, max).map((p) => {
    if (!('old' in p)) return `\`${p.path}\`: + ${show(p.new)}`;
    if (!('new' in p)) return `\`${p.path}\`: − ${show(p.old)}`;
    return `\`${p.path}\`: ${show(p.old)} → ${show(p.new)}`;
  });
  if (props.length > max) parts.push(`and ${props.length - max} more`);
  return parts.map(cell).join('<br>');
}

/** The engine's diff with each line's sign moved to the first column, so GitHub colours it as a diff. */
export function diffForGithub(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      const m = /^(\s*)([-+~]{1,2}) (.*)$/.exec(line);
      if (!m) return ` ${line}`;
      const sign = (m[2] ?? '').startsWith('-') ? '-' : (m[2] ?? '').startsWith('+') ? '+' : '!';
      return `${sign}${m[1] ?? ''}${m[2] ?? ''} ${m[3] ?? ''}`;
    })
    .join('\n');
}

function counts(c: Record<string, number>): string {
  const n = (k: string): number => c[k] ?? 0;
  return `+${n('create')} ~${n('update')} -${n('delete')}${n('replace') > 0 ? ` ±${n('replace')}` : ''}`;
}

/** One stack's block: the resources table and the engine's diff, folded. */
function stackBlock(r: PreviewResult, diffBudget: number): string {
  const resources = r.resources ?? [];
  if (r.status !== 'succeeded') return `<details open><summary><b>${r.stack}</b>: preview failed</summary>\n\n${fence(r.error ?? '')}\n</details>`;
  if (resources.length === 0) return `<b>${r.stack}</b>: no resource changes`;
  const rows = resources.map((c) => `| ${SIGN[c.op] ?? c.op} | \`${cell(c.name)}\` | ${cell(shortType(c.type))} | ${propertyCell(c.properties)} |`);
  let diff = r.diff ?? '';
  if (diff.length > diffBudget) diff = `${diff.slice(0, Math.max(0, diffBudget))}\n… (cut: the whole diff is in the job's log)`;
  const diffPart = diff === '' ? '' : `\n\n${fence(diffForGithub(diff), 'diff')}`;
  return [
    `<details><summary><b>${r.stack}</b>: ${resources.length} resource${resources.length === 1 ? '' : 's'} change (${counts(r.changes)})</summary>`,
    '',
    '| | resource | type | what changes |',
    '| --- | --- | --- | --- |',
    ...rows,
    `${diffPart}\n</details>`,
  ].join('\n');
}

/** The pull request's preview comment. */
export function previewComment(inputs: PreviewInputs): string {
  const parts = [PREVIEW_MARKER, '## xplane preview'];
  if (inputs.validate) {
    const ok = inputs.validate.exit === 0;
    parts.push(`### Declarations: ${ok ? 'valid' : 'invalid'}`, fence(inputs.validate.text));
  }
  if (inputs.plan !== undefined) parts.push('### What the control loop would commit after this merges (`xplane plan`)', fence(inputs.plan, 'diff'));
  for (const s of inputs.sections ?? []) parts.push(`### ${s.title}`, s.markdown.trimEnd());
  parts.push('### Stacks (`xplane preview`)');
  if (inputs.preview.length === 0) parts.push('No stack is affected by this change.');
  else {
    parts.push(
      [
        '| stack | result | changes |',
        '| --- | --- | --- |',
        ...inputs.preview.map(
          (r) => `| ${r.stack} | ${r.status} | ${r.status === 'succeeded' ? counts(r.changes) : cell((r.error ?? '').split('\n')[0] ?? '')} |`,
        ),
      ].join('\n'),
    );
    const used = parts.join('\n\n').length + inputs.preview.reduce((n, r) => n + 400 + 200 * (r.resources?.length ?? 0), 0);
    const budget = Math.floor(Math.max(0, COMMENT_LIMIT - used) / inputs.preview.length);
    for (const r of inputs.preview) parts.push(stackBlock(r, budget));
  }
  return `${parts.join('\n\n')}\n`;
}

/** The drift issue's body (and the job summary). */
export function driftMarkdown(report: DriftReport, runUrl?: string): string {
  const parts = [DRIFT_MARKER, `## ${report.drift ? 'Drift: resources changed outside Pulumi' : 'No drift'}`];
  for (const s of report.stacks) {
    if (s.status === 'clean') parts.push(`**${s.stack}**: no drift`);
    if (s.status === 'failed') parts.push(`**${s.stack}**: could not check`, fence(s.error ?? ''));
    if (s.status === 'drifted') {
      const rows = s.resources.map(
        (c) => `| ${c.op === 'delete' ? 'gone' : 'changed'} | \`${cell(c.name)}\` | ${cell(shortType(c.type))} | ${propertyCell(c.properties, 10)} |`,
      );
      parts.push(`**${s.stack}**`, ['| | resource | type | recorded → real |', '| --- | --- | --- | --- |', ...rows].join('\n'));
    }
  }
  if (report.drift) parts.push('Put them back as Git says with `xplane converge --refresh` (or re-run the converge workflow), or change Git to match.');
  if (runUrl) parts.push(`Found by ${runUrl}`);
  return `${parts.join('\n\n')}\n`;
}

function main(argv: string[]): string {
  const [command, ...rest] = argv;
  if (command === 'drift') {
    const { positionals, values } = parseArgs({ args: rest, options: { 'run-url': { type: 'string' } }, allowPositionals: true });
    return driftMarkdown(JSON.parse(readFileSync(positionals[0] ?? 'drift.json', 'utf8')) as DriftReport, values['run-url']);
  }
  if (command === 'preview') {
    const { values } = parseArgs({
      args: rest,
      options: {
        preview: { type: 'string' },
        validate: { type: 'string' },
        'validate-exit': { type: 'string' },
        plan: { type: 'string' },
        section: { type: 'string', multiple: true },
      },
    });
    const text = (path: string): string => readFileSync(path, 'utf8');
    return previewComment({
      preview: JSON.parse(text(values.preview ?? 'preview.json')) as PreviewResult[],
      ...(values.validate ? { validate: { text: text(values.validate), exit: Number(values['validate-exit'] ?? 0) } } : {}),
      ...(values.plan ? { plan: text(values.plan) } : {}),
      sections: (values.section ?? []).map((s) => {
        const eq = s.indexOf('=');
        return { title: s.slice(0, eq), markdown: text(s.slice(eq + 1)) };
      }),
    });
  }
  throw new Error(
    `usage: ci-report.ts preview --preview FILE [--validate FILE --validate-exit N] [--plan FILE] [--section TITLE=FILE]... | drift FILE [--run-url URL]`,
  );
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) process.stdout.write(main(process.argv.slice(2)));
