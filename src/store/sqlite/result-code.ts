// node:sqlite reports a failure as code ERR_SQLITE_ERROR with SQLite's numeric
// (extended) result code in `errcode`; the store names it the way SQLite's own
// documentation does (SQLITE_BUSY, SQLITE_NOTADB, ...) so callers and log
// readers can tell a locked database from a damaged one.

// SQLite's primary result codes; an extended code carries its primary one in the low byte.
const PRIMARY: readonly string[] = [
  'OK',
  'ERROR',
  'INTERNAL',
  'PERM',
  'ABORT',
  'BUSY',
  'LOCKED',
  'NOMEM',
  'READONLY',
  'INTERRUPT',
  'IOERR',
  'CORRUPT',
  'NOTFOUND',
  'FULL',
  'CANTOPEN',
  'PROTOCOL',
  'EMPTY',
  'SCHEMA',
  'TOOBIG',
  'CONSTRAINT',
  'MISMATCH',
  'MISUSE',
  'NOLFS',
  'AUTH',
  'FORMAT',
  'RANGE',
  'NOTADB',
  'NOTICE',
  'WARNING',
];

/**
 * The SQLite result code of an error as `SQLITE_<NAME>` (the primary code), or undefined when
 * the error did not come from SQLite. An error that already carries such a code keeps it.
 */
export function sqliteCode(err: unknown): string | undefined {
  const { code, errcode } = (err ?? {}) as { code?: unknown; errcode?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    const name = PRIMARY[errcode & 0xff];
    return name === undefined ? `SQLITE_${errcode}` : `SQLITE_${name}`;
  }
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}
