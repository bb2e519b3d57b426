// Maps the `db` setting to a Store. A path is the embedded SQLite default; a
// scheme picks another implementation; an unknown scheme fails loudly rather
// than become a file named like a URL.
import { fileURLToPath } from 'node:url';
import { StoreError } from './errors.js';
import { MemoryStore } from './memory.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { redactUrl } from './redact.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

/** Where the embedded SQLite database lives when `db` is not set, relative to the working directory. */
export const DEFAULT_DB_PATH = '.xplane/xplane.db';

// Two or more letters, so a Windows drive (`C:\x.db`) still reads as a path.
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Opens the store named by `db`: a file path, `sqlite:<path>`, `file:<path>` or `file:///abs/path`,
 * `:memory:` (in-memory SQLite), `memory:` (the MemoryStore fake), or a `postgres://` /
 * `postgresql://` URL (Postgres, shared by replicas). Any other scheme is refused.
 */
export async function openStore(db: string): Promise<Store> {
  const spec = db.trim();
  if (spec === '') throw new StoreError('XP_ERR_STORE_UNSUPPORTED', 'db setting is empty; give a file path or a store URL');
  const scheme = SCHEME.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined) return SqliteStore.open(spec);
  const rest = spec.slice(scheme.length + 1);
  switch (scheme) {
    case 'memory':
      if (rest === '' || rest === '//') return new MemoryStore();
      break;
    case 'sqlite':
      return SqliteStore.open(sqlitePath(rest, spec));
    case 'file':
      return SqliteStore.open(rest.startsWith('//') ? fileURLToPath(spec) : sqlitePath(rest, spec));
    case 'postgres':
    case 'postgresql':
      return PostgresStore.open(spec);
  }
  throw new StoreError(
    'XP_ERR_STORE_UNSUPPORTED',
    `db ${redactUrl(spec)}: unknown store; expected a file path, sqlite:<path>, file:<path>, memory: or postgres://`,
  );
}

// `sqlite:x.db`, `sqlite://x.db` and `sqlite:///abs/x.db` all name a file; query options are not supported.
function sqlitePath(rest: string, spec: string): string {
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '' || path.includes('?')) {
    throw new StoreError('XP_ERR_STORE_UNSUPPORTED', `db ${redactUrl(spec)}: expected a file path after the scheme, without options`);
  }
  return path;
}
