// GET /ui/ (contract §5): the status page, a few static files from the
// package's ui/ folder, and its login. The page reads the admin API with
// fetch from this origin only (the CSP allows nothing else); it logs in by
// sending the admin token once in a POST body, and gets a session cookie
// that does not carry the token (session.ts). Every replica serves the page
// itself; the API calls it makes go to the leader like any other.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../errors.js';
import { secretsEqual } from '../../nodes/index.js';
import type { ServerTokens } from '../auth.js';
import { clearedSessionCookie, newSession, sessionCookie, sessionValid } from '../session.js';

/** Options of the status page's routes. */
export interface UiRoutesOptions {
  /** The folder that holds index.html, app.js, style.css and favicon.svg (the package's ui/). */
  dir: string;
  tokens: ServerTokens;
  /** Login attempts per minute per client address. */
  loginPerMinute: number;
  now?: () => number;
}

/** The page may load its own files and fetch from its own origin, nothing else; it may not be framed. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The files the page is made of, by the name in its URL; nothing else under /ui/ is served. */
const FILES: Record<string, string> = {
  '': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

const loginSchema = {
  body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 512 } } },
} as const;

function secureHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', UI_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store');
}

/** Over HTTPS (directly or, as the proxy says, in front of it) the cookie is also `Secure`. */
function overHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

/** A login or logout from another site's page is refused: the browser names the page's origin. */
function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (host === undefined || !URL.canParse(origin) || new URL(origin).host !== host) throw forbidden('log in from the status page itself');
}

/** Registers the status page under /ui/ and its login. */
export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  // Read on first request and kept: the files change only with the package, which means a restart.
  const cache = new Map<string, Promise<Buffer | undefined>>();
  const load = (name: string): Promise<Buffer | undefined> => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(opts.dir, name === '' ? 'index.html' : name)).catch(() => {
        cache.delete(name);
        return undefined;
      });
      cache.set(name, file);
    }
    return file;
  };

  app.get('/ui', async (_request, reply) => secureHeaders(reply).redirect('/ui/', 302));

  const serveFile = async (name: string, reply: FastifyReply): Promise<FastifyReply> => {
    const type = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (type === undefined)
      return secureHeaders(reply)
        .code(404)
        .send({ error: { code: 'XP_ERR_NOT_FOUND', message: `no file ${name} in the status page` } });
    const bytes = await load(name);
    if (!bytes)
      return reply.code(503).send({ error: { code: 'XP_ERR_UI_MISSING', message: `the status page's ${name || 'index.html'} is missing from ${opts.dir}` } });
    return secureHeaders(reply).header('content-type', type).send(bytes);
  };
  app.get('/ui/', async (_request, reply) => serveFile('', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', async (request, reply) => serveFile(request.params.file, reply));

  app.get('/ui/session', async (request, reply) => {
    secureHeaders(reply);
    return { authenticated: sessionValid(request.headers.cookie, opts.tokens.admin, now()) };
  });

  app.post<{ Body: { token: string } }>(
    '/ui/login',
    { schema: loginSchema, config: { rateLimit: { max: opts.loginPerMinute, timeWindow: 60_000 } } },
    async (request, reply) => {
      secureHeaders(reply);
      checkOrigin(request);
      if (!secretsEqual(request.body.token, opts.tokens.admin)) throw unauthorized('that is not the admin token');
      return reply
        .header('set-cookie', sessionCookie(newSession(opts.tokens.admin, now()), overHttps(request)))
        .code(204)
        .send();
    },
  );

  app.post('/ui/logout', async (request, reply) => {
    secureHeaders(reply);
    checkOrigin(request);
    return reply
      .header('set-cookie', clearedSessionCookie(overHttps(request)))
      .code(204)
      .send();
  });
};
