// GET /v1/config: the configuration in force and how the newest sync went, so
// the status page and `xplane status` can show a rejected commit's problems
// with their file:line:col while the last good configuration stays in force.
import { formatIssue, type ConfigIssue } from '../config/index.js';
import type { Store, SyncRecord } from '../store/index.js';
import type { ConfigInForce } from './in-force.js';

/** The answer of GET /v1/config. */
export interface ConfigView {
  /** The commit of the configuration in force; null before the first valid sync. */
  commit: string | null;
  /** When it was stored (ISO 8601). */
  storedAt: string | null;
  /** Services and regions it declares, sorted. */
  services: string[];
  regions: string[];
  /** The newest sync attempt (this replica's or another's), with the problems of a rejected commit; null before any. */
  lastSync: {
    at: string;
    commit: string | null;
    status: SyncRecord['status'];
    message: string;
    issues: (ConfigIssue & { text: string })[];
  } | null;
}

/** Builds the config view from the configuration in force and the store's sync log. */
export async function configView(inForce: ConfigInForce, store: Pick<Store, 'recentSyncs'>): Promise<ConfigView> {
  const snapshot = inForce.snapshot;
  const declarations = snapshot?.declarations;
  const [last] = await store.recentSyncs(1);
  return {
    commit: snapshot?.commit ?? null,
    storedAt: snapshot ? new Date(snapshot.storedAt).toISOString() : null,
    services: declarations ? [...new Set([...Object.keys(declarations.gtm), ...Object.keys(declarations.autoscale)])].sort() : [],
    regions: declarations ? Object.keys(declarations.regions).sort() : [],
    lastSync: last
      ? {
          at: new Date(last.at).toISOString(),
          commit: last.commit,
          status: last.status,
          message: last.message,
          issues: last.issues.map((i) => ({ ...i, text: formatIssue(i) })),
        }
      : null,
  };
}
