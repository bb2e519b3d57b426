// Bearer-token checks. Tokens come from the environment or files, never from
// the GitOps repo; comparisons are constant-time.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { secretsEqual } from '../nodes/index.js';

/** The shared tokens the server checks. */
export interface ServerTokens {
  /** Agents register with this. */
  bootstrap: string;
  /** Admin routes take this. */
  admin: string;
}

/** The bearer token of a request, or undefined. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Throws 401 when the request carries no token, and returns it otherwise. */
export function requireBearer(request: FastifyRequest): string {
  const token = bearer(request);
  if (token === undefined) throw unauthorized('missing Authorization: Bearer <token>');
  return token;
}

/** Which known token a value is, if any. */
export function tokenRole(token: string, tokens: ServerTokens, isNodeToken: (t: string) => boolean): 'admin' | 'bootstrap' | 'node' | undefined {
  if (secretsEqual(token, tokens.admin)) return 'admin';
  if (secretsEqual(token, tokens.bootstrap)) return 'bootstrap';
  if (isNodeToken(token)) return 'node';
  return undefined;
}

/** Throws unless the request carries the admin token: 401 for no or an unknown token, 403 for another valid one. */
export function requireAdmin(request: FastifyRequest, tokens: ServerTokens, isNodeToken: (t: string) => boolean): void {
  const token = requireBearer(request);
  const role = tokenRole(token, tokens, isNodeToken);
  if (role === 'admin') return;
  if (role === undefined) throw unauthorized('invalid token');
  throw forbidden(`the ${role} token may not use admin routes`);
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
