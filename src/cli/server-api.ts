// How the operator commands (status, nodes, drain, history) reach a running
// `xplane serve`: its URL from --server or XPLANE_SERVER, the admin token from
// XPLANE_ADMIN_TOKEN or the file XPLANE_ADMIN_TOKEN_FILE names (else the token
// a local serve generated in .xplane/admin-token), and its JSON API.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorText } from '../errors.js';
import { UsageError } from '../flags/index.js';

/** Where the server is and the admin token to show it. */
export interface ServerAccess {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:7070`. */
  url: string;
  token: string;
}

/** The flag every operator command takes, for parseArgs. */
export const SERVER_OPTIONS = { server: { type: 'string' } } as const;

/** Usage lines about reaching the server, shared by the operator commands. */
export const SERVER_HELP = `  --server URL   the running xplane serve (XPLANE_SERVER; default http://127.0.0.1:7070)

The admin token comes from XPLANE_ADMIN_TOKEN, or the file named by
XPLANE_ADMIN_TOKEN_FILE, or else .xplane/admin-token (what a local
xplane serve generates) in the current directory.`;

const DEFAULT_SERVER = 'http://127.0.0.1:7070';

function readTokenFile(path: string, what: string): string {
  const text = readFileSync(path, 'utf8').trim();
  if (text === '') throw new UsageError(`${what} ${path} is empty`);
  return text;
}

/** The server and admin token from flags and the environment; a usage error when there is no token. */
export function serverAccess(server: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerAccess {
  const given = server ?? (env.XPLANE_SERVER || DEFAULT_SERVER);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  if (!URL.canParse(withScheme)) throw new UsageError(`--server: not a URL: ${given}`);
  const url = withScheme.replace(/\/+$/, '');
  if (env.XPLANE_ADMIN_TOKEN) return { url, token: env.XPLANE_ADMIN_TOKEN.trim() };
  if (env.XPLANE_ADMIN_TOKEN_FILE) return { url, token: readTokenFile(env.XPLANE_ADMIN_TOKEN_FILE, 'XPLANE_ADMIN_TOKEN_FILE names') };
  const generated = resolve(cwd, '.xplane', 'admin-token');
  if (existsSync(generated)) return { url, token: readTokenFile(generated, 'the generated token file') };
  throw new UsageError('no admin token: set XPLANE_ADMIN_TOKEN or XPLANE_ADMIN_TOKEN_FILE');
}

/** An answer the server gave, or could not give. */
export class ServerError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 when the server did not answer. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** What a successful call answered: the parsed body and the headers. */
export interface ServerAnswer<T> {
  body: T;
  headers: Headers;
}

/** Calls the API: GET, or POST with a JSON body. Non-2xx answers throw a ServerError with the server's message. */
export async function callServer<T>(access: ServerAccess, path: string, body?: unknown): Promise<ServerAnswer<T>> {
  let res: Response;
  try {
    res = await fetch(`${access.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${access.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new ServerError(`cannot reach xplane serve at ${access.url}: ${errorText(cause ?? err)}`, 0);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ServerError(`${res.status} ${error?.code ?? res.statusText}: ${error?.message ?? text.slice(0, 200)}`, res.status);
  }
  return { body: parsed as T, headers: res.headers };
}
