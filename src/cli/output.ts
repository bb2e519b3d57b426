// Where commands write: results to stdout (JSON with --json), logs to stderr.

/** Writes a line to stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a value as pretty JSON to stdout, for --json. */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a line to stderr. */
export function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The colours results use, each with the terminal's codes to start and end it. */
const COLORS = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;

/** A colour `paint` knows. */
export type Color = keyof typeof COLORS;

/** Whether results on stdout are coloured: a terminal, and NO_COLOR unset or empty (no-color.org). */
export function colorsOn(env: NodeJS.ProcessEnv = process.env, tty = process.stdout.isTTY): boolean {
  return tty && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** `text` in a colour when colours are on, else as it is. */
export function paint(text: string, color: Color, on = colorsOn()): string {
  const [start, end] = COLORS[color];
  return on ? `\u001b[${start}m${text}\u001b[${end}m` : text;
}

// Terminal codes take no columns.
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex -- the escape character is what this strips
  return text.replace(/\u001b\[\d+m/g, '').length;
}

/** Rows as aligned columns, two spaces apart, the last column unpadded; each line indented by `indent`. */
export function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
  );
}
