// The lease rules as pure functions over the lease as it stands and the
// store's clock. The SQLite and memory stores read the row, decide here and
// write the answer inside one transaction; the Postgres store states the same
// rules in SQL, and the contract suite holds all of them to one behaviour.
import { StoreError } from './errors.js';
import type { Lease, WriteFence } from './types.js';

/** True while the lease is held at `now`: it lapses at `expiresAt` itself. */
export function isLive(lease: Lease, now: number): boolean {
  return lease.expiresAt > now;
}

/**
 * The lease after `holder` asks for it at `now`: taken when absent or expired (with a new
 * token, even by its last holder, whose hold had lapsed), extended when `holder` holds it,
 * and unchanged when someone else holds it.
 */
export function afterAcquire(current: Lease | undefined, ask: { name: string; holder: string; address: string; ttlMs: number }, now: number): Lease {
  const expiresAt = now + ask.ttlMs;
  if (current === undefined) return { name: ask.name, holder: ask.holder, address: ask.address, token: 1, expiresAt };
  if (!isLive(current, now)) return { ...current, holder: ask.holder, address: ask.address, token: current.token + 1, expiresAt };
  if (current.holder === ask.holder) return { ...current, address: ask.address, expiresAt };
  return current;
}

/** True when `holder` holds the lease with `token` at `now`: the condition of a renewal or a release. */
export function holds(current: Lease | undefined, holder: string, token: number, now: number): current is Lease {
  return current !== undefined && current.holder === holder && current.token === token && isLive(current, now);
}

/** Refuses lease arguments a store could not keep: empty names, a TTL that is not a positive whole number of ms. */
export function checkLeaseArgs(args: { name: string; holder: string; address?: string; ttlMs?: number; token?: number }): void {
  const bad = (field: string, value: unknown): never => {
    // JSON.stringify answers undefined for undefined, which its type leaves out.
    throw new StoreError(
      'XP_ERR_STORE_INVALID_RECORD',
      `lease ${args.name}: invalid ${field} ${(JSON.stringify(value) as string | undefined) ?? String(value)}`,
    );
  };
  if (typeof args.name !== 'string' || args.name === '') bad('name', args.name);
  if (typeof args.holder !== 'string' || args.holder === '') bad('holder', args.holder);
  if (args.address !== undefined && typeof args.address !== 'string') bad('address', args.address);
  if (args.ttlMs !== undefined && (!Number.isSafeInteger(args.ttlMs) || args.ttlMs <= 0)) bad('ttlMs', args.ttlMs);
  if (args.token !== undefined && !Number.isSafeInteger(args.token)) bad('token', args.token);
}

/** Refuses a fenced write whose writer no longer holds the lease at `now` (see {@link WriteFence}). */
export function checkFence(fence: WriteFence | undefined, current: Lease | undefined, now: number, what: string): void {
  if (fence === undefined || holds(current, fence.holder, fence.token, now)) return;
  throw fencedError(fence, what);
}

/** The error of a refused fenced write, naming the writer and the lease. */
export function fencedError(fence: WriteFence, what: string): StoreError {
  return new StoreError(
    'XP_ERR_STORE_FENCED',
    `${what}: refused, nothing written — ${fence.holder} no longer holds lease ${fence.lease} with token ${fence.token}`,
  );
}
