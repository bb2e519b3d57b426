// Bearer-token checks. Tokens come from the environment or files, never from
// the GitOps repo; comparisons are constant-time.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized, type XplaneError } from '../errors.js';
import { secretsEqual } from '../nodes/index.js';
import { sessionValid } from './session.js';

/** The shared tokens the server checks. */
export interface ServerTokens {
  /** Agents register with this. */
  bootstrap: string;
  /** Admin routes take this. */
  admin: string;
}

const MISSING_TOKEN = 'missing Authorization: Bearer <token>';

/** The bearer token an Authorization header carries, or undefined. */
export function bearer(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Throws 401 when the request carries no token, and returns it otherwise. */
export function requireBearer(request: FastifyRequest): string {
  const token = bearer(request.headers.authorization);
  if (token === undefined) throw unauthorized(MISSING_TOKEN);
  return token;
}

/** Which known token a value is, if any. */
export function tokenRole(token: string, tokens: ServerTokens, isNodeToken: (t: string) => boolean): 'admin' | 'bootstrap' | 'node' | undefined {
  if (secretsEqual(token, tokens.admin)) return 'admin';
  if (secretsEqual(token, tokens.bootstrap)) return 'bootstrap';
  if (isNodeToken(token)) return 'node';
  return undefined;
}

/**
 * Which tokens a route takes, as far as the headers tell (a heartbeat's node is named in its body).
 * `admin-read`: the admin token, or the status page's session cookie (read-only routes only).
 */
export type TokenRule = 'admin' | 'admin-read' | 'bootstrap' | 'node' | 'admin-or-node';

/** Whether a token is a live node's; undefined when this replica cannot tell (it forwards to the leader, which holds the registry). */
export type NodeTokenCheck = (token: string) => boolean | undefined;

/**
 * The error an Authorization header earns on a route that takes `rule`, or undefined when it passes.
 * A token only the leader could judge passes here: the leader judges it again.
 */
export function tokenRefusal(
  rule: TokenRule,
  authorization: string | string[] | undefined,
  tokens: ServerTokens,
  isNodeToken: NodeTokenCheck,
): XplaneError | undefined {
  const token = bearer(authorization);
  if (token === undefined) return unauthorized(MISSING_TOKEN);
  const role = tokenRole(token, tokens, (t) => isNodeToken(t) === true);
  if (role === undefined) return isNodeToken(token) === undefined ? undefined : unauthorized('invalid token');
  switch (rule) {
    case 'admin':
    case 'admin-read':
      return role === 'admin' ? undefined : forbidden(`the ${role} token may not use admin routes`);
    case 'bootstrap':
      return role === 'bootstrap' ? undefined : forbidden(`register with the bootstrap token, not the ${role} token`);
    case 'node':
      return role === 'node' ? undefined : unauthorized(`the ${role} token is not a node token`);
    case 'admin-or-node':
      return role === 'bootstrap' ? forbidden('drain takes the admin token or the node’s own token') : undefined;
  }
}

/**
 * The error a request's headers earn on a route that takes `rule`, or undefined when they pass:
 * `tokenRefusal`, and on `admin-read` routes a request without a token may show a session cookie instead.
 */
export function headersRefusal(
  rule: TokenRule,
  headers: IncomingHttpHeaders,
  tokens: ServerTokens,
  isNodeToken: NodeTokenCheck,
  now = Date.now(),
): XplaneError | undefined {
  if (rule === 'admin-read' && bearer(headers.authorization) === undefined && sessionValid(headers.cookie, tokens.admin, now)) return undefined;
  return tokenRefusal(rule, headers.authorization, tokens, isNodeToken);
}

/** Throws unless the request's token passes `rule`; returns the token. */
export function requireToken(request: FastifyRequest, rule: TokenRule, tokens: ServerTokens, isNodeToken: (t: string) => boolean): string {
  const refusal = tokenRefusal(rule, request.headers.authorization, tokens, isNodeToken);
  if (refusal) throw refusal;
  return requireBearer(request);
}

/** Throws unless the request carries the admin token or, without one, a status-page session (rule `admin-read`). */
export function requireAdminRead(request: FastifyRequest, tokens: ServerTokens, isNodeToken: (t: string) => boolean): void {
  const refusal = headersRefusal('admin-read', request.headers, tokens, isNodeToken);
  if (refusal) throw refusal;
}

/** Throws unless the request carries the admin token: 401 for no or an unknown token, 403 for another valid one. */
export function requireAdmin(request: FastifyRequest, tokens: ServerTokens, isNodeToken: (t: string) => boolean): void {
  requireToken(request, 'admin', tokens, isNodeToken);
}

/** Where a token comes from for `loadTokens`. */
export interface TokenSource {
  env: Record<string, string | undefined>;
  /** Directory for generated tokens when none is configured (e.g. `.xplane`). */
  stateDir: string;
}

function readToken(env: Record<string, string | undefined>, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct.trim();
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    const text = readFileSync(file, 'utf8').trim();
    if (text === '') throw new Error(`${name}_FILE names ${file}, which is empty`);
    return text;
  }
  return undefined;
}

/**
 * Reads XPLANE_BOOTSTRAP_TOKEN / XPLANE_ADMIN_TOKEN (or their *_FILE forms);
 * a token that is not configured is generated once and kept in `stateDir`
 * with mode 0600, so a local `xplane serve` works out of the box.
 */
export function loadTokens(source: TokenSource): { tokens: ServerTokens; generated: string[] } {
  const generated: string[] = [];
  const get = (env: string, file: string): string => {
    const configured = readToken(source.env, env);
    if (configured !== undefined) return configured;
    const path = `${source.stateDir}/${file}`;
    if (existsSync(path)) return readFileSync(path, 'utf8').trim();
    mkdirSync(dirname(path), { recursive: true });
    const token = randomBytes(24).toString('base64url');
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
    generated.push(path);
    return token;
  };
  return { tokens: { bootstrap: get('XPLANE_BOOTSTRAP_TOKEN', 'bootstrap-token'), admin: get('XPLANE_ADMIN_TOKEN', 'admin-token') }, generated };
}

/** XPLANE_WEBHOOK_SECRET, or the contents of the file XPLANE_WEBHOOK_SECRET_FILE names; undefined disables the webhook. */
export function loadWebhookSecret(env: Record<string, string | undefined>): string | undefined {
  if (env.XPLANE_WEBHOOK_SECRET) return env.XPLANE_WEBHOOK_SECRET;
  if (env.XPLANE_WEBHOOK_SECRET_FILE) return readFileSync(env.XPLANE_WEBHOOK_SECRET_FILE, 'utf8').trim() || undefined;
  return undefined;
}
