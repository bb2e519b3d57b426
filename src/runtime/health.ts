// How a replica judges itself, as plain functions of what it knows: whether
// the load balancer may send it requests (/readyz), and whether the leader
// still reaches its store and its Git remote (self-protection freezes
// evictions when it does not).
import type { SyncOutcome } from '../gitops/index.js';
import type { LeaderView } from '../leader/index.js';
import type { ControlPlaneHealth } from '../reconcile/index.js';

/** Why this replica is not ready, or null when it is: it needs a leader, and as the leader a configuration in force. */
export function notReadyReason(role: LeaderView, hasConfig: () => boolean, lastSync: SyncOutcome | null): string | null {
  if (role.role === 'none') return `no leader: ${role.reason}`;
  if (role.role === 'follower') return null;
  if (!hasConfig()) {
    return lastSync?.status === 'error' || lastSync?.status === 'invalid'
      ? `no configuration in force: last sync ${lastSync.status}`
      : 'no configuration in force yet';
  }
  return null;
}

/** The store's and the Git remote's health: the last lease request's error, and the last sync's. */
export function controlPlaneHealth(storeError: string | null, lastSync: SyncOutcome | null): ControlPlaneHealth {
  const gitError = lastSync?.status === 'error' ? lastSync.message : null;
  return { store: storeError === null, git: gitError === null, reason: storeError ?? gitError ?? undefined };
}
