// A real Postgres for tests, and a fresh database on it per test. The server
// is XPLANE_TEST_POSTGRES_URL (a URL whose user may CREATE DATABASE, usually on
// the `postgres` database). Tests never install or start a server themselves:
// `.ci/run` runs scripts/start-postgres.sh, which does, and prints that URL.
// Without a Postgres, tests skip with the reason, except under CI (env CI set),
// where postgresAdminUrl() throws so that the tests fail instead.
//
//   const admin = await postgresAdminUrl();
//   describe('my thing on Postgres', { skip: admin === undefined && postgresSkipReason() }, () => {
//     it('...', async (t) => {
//       const db = (await freshPostgresDb())!;
//       t.after(() => db.drop());
//       const store = await openStore(db.url);
//       ...
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The environment variable naming the test server's admin URL. */
export const POSTGRES_URL_ENV = 'XPLANE_TEST_POSTGRES_URL';

/** The prefix of every database made by freshPostgresDb. */
export const TEST_DB_PREFIX = 'xplane_test_';

// A database older than this is left over from a test run that died; it is dropped.
const STALE_AFTER_S = 6 * 3600;

let admin: Promise<{ url: string } | { reason: string }> | undefined;
let unavailable = `no Postgres for this test: set ${POSTGRES_URL_ENV} (as root on Debian, scripts/start-postgres.sh starts one and prints it)`;

function findServer(): Promise<{ url: string } | { reason: string }> {
  const fromEnv = process.env[POSTGRES_URL_ENV]?.trim();
  if (fromEnv) return Promise.resolve({ url: fromEnv });
  return Promise.resolve({ reason: `${POSTGRES_URL_ENV} is not set (scripts/start-postgres.sh starts a local server and prints its URL)` });
}

/**
 * The URL of a Postgres server that tests may create databases on, or undefined when there is
 * none (see postgresSkipReason). Under CI a missing Postgres throws: the tests must not pass
 * by skipping.
 */
export async function postgresAdminUrl(): Promise<string | undefined> {
  admin ??= findServer();
  const found = await admin;
  if ('url' in found) return found.url;
  unavailable = `no Postgres for this test: ${found.reason}`;
  if (process.env['CI']) throw new Error(`Postgres is required under CI: ${found.reason}`);
  return undefined;
}

/** Why postgresAdminUrl() answered undefined, for `{ skip }`; call it after awaiting postgresAdminUrl(). */
export function postgresSkipReason(): string {
  return unavailable;
}

/** A database of its own for one test. */
export interface PostgresDb {
  /** Its URL, with the admin URL's user and password. */
  url: string;
  /** Its name, `xplane_test_<time>_<random>`. */
  name: string;
  /** Drops it, ending any connection still open on it. */
  drop(): Promise<void>;
}

// Ends the sessions left on the database (ours: a store not closed), then drops it. Not
// DROP ... WITH (FORCE): that refuses when an autovacuum worker is busy there, while a
// plain DROP stops the worker itself.
async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user', [
      name,
    ]);
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      return;
    } catch (err) {
      // 55006: still in use (a session that was just ending); try again shortly.
      if ((err as { code?: unknown }).code !== '55006' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let swept = false;

// Leftovers of runs that died before their `drop()`; names carry their creation time.
async function sweepStale(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${TEST_DB_PREFIX}%`]);
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of rows) {
    const created = Number(/^xplane_test_(\d+)_/.exec(datname)?.[1]);
    if (Number.isFinite(created) && now - created > STALE_AFTER_S) {
      await dropDatabase(client, datname).catch(() => {});
    }
  }
}

/** Creates an empty database for one test, or answers undefined when there is no Postgres (throws under CI). */
export async function freshPostgresDb(): Promise<PostgresDb | undefined> {
  const adminUrl = await postgresAdminUrl();
  if (adminUrl === undefined) return undefined;
  const name = `${TEST_DB_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
  await withAdmin(adminUrl, async (client) => {
    if (!swept) {
      swept = true;
      await sweepStale(client);
    }
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.href,
    name,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (client) => dropDatabase(client, name));
    },
  };
}
