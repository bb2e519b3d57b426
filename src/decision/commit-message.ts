// The commit message of one reconcile pass (contract §4): one decision → its
// own line as the subject; several → `xplane: <n> changes (<services>)` and
// one decision per line in the body.
import type { Decision } from './types.js';

const MAX_NAMED = 3;

/** The commit message for the decisions of one pass (there must be at least one). */
export function commitMessage(decisions: Decision[]): string {
  if (decisions.length === 0) throw new Error('a commit needs at least one decision');
  if (decisions.length === 1) return `${decisions[0]?.summary ?? ''}\n`;
  const services = [...new Set(decisions.map((d) => d.service))].sort();
  // A subject stays one readable line: name a few services, count the rest.
  const named = services.length > MAX_NAMED ? [...services.slice(0, MAX_NAMED), `+${services.length - MAX_NAMED} more`] : services;
  const subject = `xplane: ${decisions.length} changes (${named.join(', ')})`;
  return `${subject}\n\n${decisions.map((d) => d.summary).join('\n')}\n`;
}
