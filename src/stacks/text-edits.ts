// Edits expressed as offsets into the original text. The loop splices new
// value text into the file instead of re-serializing the YAML document, so
// every byte it does not mean to change stays as the human wrote it.

/** Replaces `source[start, end)` with `text`; `start === end` is an insertion. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies edits that do not overlap. Insertions at the same offset keep the
 * order they were planned in, so a planner can append "items, then new keys"
 * at one line end and get them in that order.
 */
export function applyEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = edits
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.start - b.edit.start || a.order - b.order)
    .map(({ edit }) => edit);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start) {
      throw new Error(`internal: overlapping stack file edits at offset ${edit.start}`);
    }
    out += source.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return out + source.slice(cursor);
}

/** The offset where the line holding `pos` starts. */
export function lineStart(source: string, pos: number): number {
  return source.lastIndexOf('\n', pos - 1) + 1;
}

/** The offset just past the newline ending the line holding `pos`; `pos` itself when it already starts a line. */
export function lineEndAfter(source: string, pos: number): number {
  if (pos > 0 && source[pos - 1] === '\n') return pos;
  const nl = source.indexOf('\n', pos);
  return nl === -1 ? source.length : nl + 1;
}

/** The 0-based column of `pos`, which is the indentation of a key that starts there. */
export function columnOf(source: string, pos: number): number {
  return pos - lineStart(source, pos);
}
