// What both SQL stores' migrations share: the shape of a numbered schema step,
// the check that a list of steps is numbered in order, and the refusal of a
// database that a newer xplane has migrated.
import { StoreError } from './errors.js';

/** One numbered schema step. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Throws when the database has run a step newer than `known`: it is never downgraded. */
export function refuseNewer(done: readonly number[], known: number, where: string, other: string): void {
  const newest = done.at(-1) ?? 0;
  if (newest > known) {
    throw new StoreError(
      'XP_ERR_STORE_SCHEMA_NEWER',
      `${where}: database schema version ${newest} is newer than this xplane knows (${known}); ` +
        `it was written by a newer xplane: upgrade xplane, or point db at ${other}. It is not downgraded.`,
    );
  }
}

/** Throws unless the steps are numbered 1, 2, 3, ... in order: a mistake would apply them out of order somewhere. */
export function checkOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migrations must be numbered 1, 2, 3, ... in order; step #${i} has version ${m.version}`);
    }
  });
}
