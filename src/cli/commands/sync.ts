// `xplane sync --once`: one sync of the GitOps repo into the store.
import { formatIssue } from '../../config/index.js';
import { GitMirror, GitopsSync, describeChange, short } from '../../gitops/index.js';
import { createLogger } from '../../log/index.js';
import { openStore } from '../../store/index.js';
import { parse, settingsFrom, settingsHelp, settingsOptions, UsageError } from '../args.js';
import { out, outJson } from '../output.js';

/** Usage text of `xplane sync`. */
export const syncHelp = `Usage: xplane sync --once [--json] [settings]

Fetches the GitOps repo, validates the fetched commit and, when valid, stores
it as the configuration in force. Prints the commit and what changed. An
invalid commit is rejected as a whole: the last good configuration stays in
force and every problem is printed. Exit 0 when the fetched commit is in
force, 1 when it was rejected or the remote failed.

  --once   run one sync and exit (continuous syncing runs inside xplane serve)
  --json   print the outcome as JSON

${settingsHelp()}`;

/** Runs `xplane sync`; returns the exit code. */
export async function syncCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...settingsOptions(), once: { type: 'boolean' }, json: { type: 'boolean' } }, false);
  if (!values.once) throw new UsageError('xplane sync needs --once (the continuous sync loop runs inside xplane serve)');
  const { settings } = await settingsFrom(values);
  const log = createLogger();
  const store = await openStore(settings.db);
  try {
    const sync = new GitopsSync({ mirror: new GitMirror(settings.repo, settings.branch, settings.workdir), store, log });
    const outcome = await sync.syncOnce();
    if (values.json) {
      outJson(outcome.status === 'invalid' ? { ...outcome, issues: outcome.issues.map((i) => ({ ...i, text: formatIssue(i) })) } : outcome);
    } else {
      switch (outcome.status) {
        case 'changed':
        case 'unchanged':
          out(`commit ${outcome.commit}`);
          if (outcome.rewritten && outcome.previous) out(`warning: the branch was rewritten; ${short(outcome.previous)} is no longer in its history`);
          if (outcome.changes.length === 0) out(outcome.previous === outcome.commit ? 'already in force: nothing changed' : 'in force: no declaration changed');
          else for (const change of outcome.changes) out(`  ${describeChange(change)}`);
          break;
        case 'invalid':
          out(
            `commit ${outcome.commit} rejected (${outcome.issues.length} problem${outcome.issues.length === 1 ? '' : 's'}); ${outcome.inForce ? `${short(outcome.inForce)} stays in force` : 'no configuration in force'}`,
          );
          for (const issue of outcome.issues) out(`  ${formatIssue(issue)}`);
          break;
        case 'error':
          out(`sync failed: ${outcome.message}`);
          if (outcome.inForce) out(`${short(outcome.inForce)} stays in force`);
          break;
      }
    }
    return outcome.status === 'changed' || outcome.status === 'unchanged' ? 0 : 1;
  } finally {
    await store.close();
  }
}
