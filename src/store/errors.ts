// Typed store failures with stable codes, so the CLI and the server can tell a
// refused database from a bad record without matching on message text.

/** Stable codes of store failures. */
export type StoreErrorCode =
  /** The database could not be opened: a file that is not an SQLite database, a Postgres server that refuses or does not answer. */
  | 'XP_ERR_STORE_OPEN'
  /** An open store lost its database server (connection refused, dropped or timed out); a later call may succeed. */
  | 'XP_ERR_STORE_UNAVAILABLE'
  /** The database was migrated by a newer xplane than this one. */
  | 'XP_ERR_STORE_SCHEMA_NEWER'
  /** A migration failed to apply; nothing of it was kept. */
  | 'XP_ERR_STORE_MIGRATION'
  /** The `db` setting names a store this version cannot open. */
  | 'XP_ERR_STORE_UNSUPPORTED'
  /** A record handed to the store breaks its shape (unknown state, bad timestamp, ...). */
  | 'XP_ERR_STORE_INVALID_RECORD'
  /** The store was used after `close()`. */
  | 'XP_ERR_STORE_CLOSED'
  /** A fenced write was refused: its writer no longer holds the lease it named; nothing was written. */
  | 'XP_ERR_STORE_FENCED';

/** A store failure with a stable code. */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
