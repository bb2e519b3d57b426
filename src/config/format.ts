// The one-line form of an issue that CLIs, logs and the API all print, so an
// editor or CI annotation can jump to the spot (contract §2).
import type { ConfigIssue } from './types.js';

/** `file:line:col path: message`, or `file:line:col message` when the issue is about the whole file. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}
