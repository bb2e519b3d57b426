// `xplane plan`: what the controllers would commit now, as a diff, from the
// state in the store. Writes nothing to the remote.
import { ConfigInForce, GitMirror, GitopsSync, GitWriter, parseIdentity } from '../../gitops/index.js';
import { createLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import { Reconciler } from '../../reconcile/index.js';
import { openStore } from '../../store/index.js';
import { parse, settingsFrom, settingsHelp, settingsOptions } from '../args.js';
import { out, outJson } from '../output.js';

/** Usage text of `xplane plan`. */
export const planHelp = `Usage: xplane plan [--json] [settings]

Syncs the GitOps repo once, loads the node registry from the store (db) and
runs both controllers on the remote head: prints the commit message and the
diff of stacks/ that a pass would commit now. Writes nothing to the remote.
Node metrics live in the running server's memory, so CPU-driven scaling shows
only there; node states (down, drain, active) come from the store, as the
running server last wrote them. Nodes serving on trust (unknown or warm) count
from this command's start, so one the server would already exclude after
provision_timeout is shown still serving.

  --json   print {head, decisions, message, diff}

${settingsHelp()}`;

/** Runs `xplane plan`; returns the exit code. */
export async function planCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...settingsOptions(), json: { type: 'boolean' } }, false);
  const { settings } = await settingsFrom(values);
  const log = createLogger({ level: process.env.XPLANE_LOG_LEVEL ?? 'warn' });
  const store = await openStore(settings.db);
  try {
    const mirror = new GitMirror(settings.repo, settings.branch, settings.workdir);
    const outcome = await new GitopsSync({ mirror, store, log }).syncOnce();
    if (outcome.status === 'error') throw new Error(outcome.message);
    const inForce = new ConfigInForce(store);
    if (!(await inForce.refresh())) throw new Error('no valid configuration to plan from (see xplane sync --once)');
    const registry = new NodeRegistry({ store, log, config: () => inForce.declarations });
    // The running server stores what it hears within a second: to this one-off reader that is the
    // present, not a previous term's word (a serve would wait to hear of each node itself).
    await registry.load({ asCurrent: true });
    const author = parseIdentity(settings.author);
    const metrics = new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => false }, { defaultMetrics: false });
    const reconciler = new Reconciler({
      store,
      registry,
      inForce,
      mirror,
      writer: new GitWriter({ mirror, author, push: false, log }),
      metrics,
      log,
      botEmail: author.email,
      dryRun: true,
    });
    const preview = await reconciler.preview();
    if (values.json) {
      outJson(preview);
    } else if (preview.message === null) {
      out(`head ${preview.head}: nothing to commit`);
    } else {
      out(`head ${preview.head}: the loop would commit:\n`);
      out(preview.message.trimEnd().replace(/^/gm, '    '));
      out('');
      out(preview.diff.trimEnd());
    }
    return 0;
  } finally {
    await store.close();
  }
}
