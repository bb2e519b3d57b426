// gitops-sync: fetch the GitOps repo, validate the fetched commit, store it
// when valid and tell the controllers what changed. Bad config never takes
// effect: the last good snapshot stays in force and the problem is recorded
// where a user sees it (command output, logs, the store that feeds the API
// and metrics).
import { errorText } from '../errors.js';
import { formatIssue, parseDeclarations, type ConfigIssue } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { LoopSlot, done, type PassResult } from '../loop/index.js';
import type { Store, SyncRecord } from '../store/index.js';
import { describeChange, diffDeclarations, eventsFor, type ConfigChange, type ConfigEvent } from './diff.js';
import type { GitRemote } from './remote.js';

/** The paths a sync reads at each commit. */
export const DECLARATION_PREFIXES = ['platform-config', 'stacks'];

/** What one sync did. */
export type SyncOutcome =
  | {
      status: 'changed' | 'unchanged';
      commit: string;
      /** The commit that was in force before. */
      previous: string | null;
      changes: ConfigChange[];
      /** The branch no longer contains the previous commit (force-push). */
      rewritten: boolean;
    }
  | { status: 'invalid'; commit: string; issues: ConfigIssue[]; inForce: string | null }
  | { status: 'error'; message: string; inForce: string | null };

/** Dependencies of a GitopsSync. */
export interface SyncDeps {
  /** The remote (the local mirror in production). */
  mirror: GitRemote;
  store: Store;
  log: Logger;
  now?: () => number;
}

/** Pulls, validates, stores and publishes; see the file comment. */
export class GitopsSync {
  private readonly handlers = new Set<(event: ConfigEvent) => void>();
  private readonly outcomeHandlers = new Set<(outcome: SyncOutcome) => void>();
  private lastRecord: Pick<SyncRecord, 'commit' | 'status' | 'message'> | null | undefined;
  private readonly slot: LoopSlot;
  private last: SyncOutcome | null = null;

  constructor(private readonly deps: SyncDeps) {
    this.slot = new LoopSlot({
      name: 'sync',
      minGapMs: 500,
      log: deps.log,
      pass: async (): Promise<PassResult> => {
        const outcome = await this.syncOnce();
        return outcome.status === 'error' ? { kind: 'error', error: new Error(outcome.message) } : done;
      },
    });
  }

  /** The outcome of the most recent sync in this process. */
  get lastOutcome(): SyncOutcome | null {
    return this.last;
  }

  /** Calls `handler` for every config event; returns the unsubscribe function. */
  subscribe(handler: (event: ConfigEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Calls `handler` after every sync with its outcome; returns the unsubscribe function. */
  onOutcome(handler: (outcome: SyncOutcome) => void): () => void {
    this.outcomeHandlers.add(handler);
    return () => this.outcomeHandlers.delete(handler);
  }

  /** Runs one sync: fetch, validate, store, publish. Never throws for remote or config problems. */
  async syncOnce(): Promise<SyncOutcome> {
    const { mirror, store, log } = this.deps;
    const inForce = (await store.latestSnapshot()) ?? null;
    let commit: string;
    try {
      commit = await mirror.fetch();
    } catch (err) {
      const message = errorText(err);
      log.error({ remote: mirror.remote, branch: mirror.branch, err: message }, `sync: ${message}`);
      await this.record({ commit: null, status: 'error', message, issues: [] });
      return this.finish({ status: 'error', message, inForce: inForce?.commit ?? null });
    }

    let rewritten = false;
    if (inForce && inForce.commit !== commit && (await mirror.isAncestor(inForce.commit, commit)) === false) {
      rewritten = true;
      log.warn(
        { previous: inForce.commit, commit },
        `sync: branch ${mirror.branch} was rewritten (force-push): ${short(inForce.commit)} is no longer in its history; following ${short(commit)}`,
      );
    }
    if (inForce?.commit === commit) {
      await this.record({ commit, status: 'ok', message: `in force: ${short(commit)}`, issues: [] });
      return this.finish({ status: 'unchanged', commit, previous: commit, changes: [], rewritten: false });
    }

    const files = await mirror.readFiles(commit, DECLARATION_PREFIXES);
    const result = parseDeclarations(files);
    if (!result.ok) {
      const message = `commit ${short(commit)} rejected: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}; ${
        inForce ? `${short(inForce.commit)} stays in force` : 'no configuration in force yet'
      }`;
      if (this.lastRecord?.commit !== commit || this.lastRecord.status !== 'invalid') {
        log.error({ commit, issues: result.issues.map(formatIssue) }, `sync: ${message}`);
        for (const issue of result.issues) log.error(`sync: ${formatIssue(issue)}`);
      }
      await this.record({ commit, status: 'invalid', message, issues: result.issues });
      return this.finish({ status: 'invalid', commit, issues: result.issues, inForce: inForce?.commit ?? null });
    }

    const changes = diffDeclarations(inForce?.declarations, result.declarations);
    await store.putSnapshot({ commit, declarations: result.declarations, storedAt: this.now() });
    const message = `${short(commit)} in force: ${changes.length === 0 ? 'no declaration changed' : changes.map(describeChange).join(', ')}`;
    log.info({ commit, previous: inForce?.commit ?? null, changes }, `sync: ${message}`);
    for (const warning of result.warnings) log.warn(`sync: warning: ${formatIssue(warning)}`);
    await this.record({ commit, status: 'ok', message, issues: [] });
    for (const event of eventsFor(commit, changes)) this.publish(event);
    return this.finish({
      status: changes.length === 0 ? 'unchanged' : 'changed',
      commit,
      previous: inForce?.commit ?? null,
      changes,
      rewritten,
    });
  }

  /** Polls every `intervalMs` (sooner on `trigger`), backing off while the remote fails. */
  start(intervalMs: number): void {
    this.slot.start(intervalMs);
  }

  /** Syncs as soon as possible (a webhook arrived). */
  trigger(): void {
    this.slot.trigger();
  }

  /** Stops polling and waits for a running sync to end. */
  async stop(): Promise<void> {
    await this.slot.stop();
  }

  private publish(event: ConfigEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.deps.log.error({ err: errorText(err), event: event.type }, 'sync: event handler failed');
      }
    }
  }

  // Polls repeat the same result every few seconds; only a change of commit,
  // status or message is worth a row.
  private async record(entry: Omit<SyncRecord, 'at'>): Promise<void> {
    if (this.lastRecord === undefined) {
      const [latest] = await this.deps.store.recentSyncs(1);
      this.lastRecord = latest ?? null;
    }
    const prev = this.lastRecord;
    if (prev && prev.commit === entry.commit && prev.status === entry.status && (entry.status === 'ok' || prev.message === entry.message)) {
      return;
    }
    await this.deps.store.recordSync({ ...entry, at: this.now() });
    this.lastRecord = entry;
  }

  private finish(outcome: SyncOutcome): SyncOutcome {
    this.last = outcome;
    for (const handler of this.outcomeHandlers) {
      try {
        handler(outcome);
      } catch (err) {
        this.deps.log.error({ err: errorText(err) }, 'sync: outcome handler failed');
      }
    }
    return outcome;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** The first 7 characters of a commit SHA. */
export function short(commit: string): string {
  return commit.slice(0, 7);
}
