// The status page's login. The admin token, sent once to POST /ui/login, is
// swapped for a session cookie that does not carry it: an expiry, a random
// nonce and an HMAC of both keyed by the admin token. Any replica that shares
// the token can check it (no session table), and changing the admin token ends
// every session. Only read-only admin routes take the cookie (auth.ts, rule
// `admin-read`), so a forged cross-site request could change nothing even if
// `SameSite=Strict` did not already keep the cookie from it.
import { createHmac, randomBytes } from 'node:crypto';
import { secretsEqual } from '../nodes/index.js';

/** The cookie's name. */
export const SESSION_COOKIE = 'xplane_session';

/** How long a login lasts (the cookie itself ends with the browser session). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function mac(adminToken: string, expires: number, nonce: string): string {
  return createHmac('sha256', adminToken).update(`xplane-ui-session\n${expires}\n${nonce}`).digest('base64url');
}

/** A new session's cookie value, good until `now + SESSION_TTL_MS`. */
export function newSession(adminToken: string, now: number): string {
  const expires = now + SESSION_TTL_MS;
  const nonce = randomBytes(16).toString('base64url');
  return `${expires}.${nonce}.${mac(adminToken, expires, nonce)}`;
}

/** The value of cookie `name` in a Cookie header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether a Cookie header carries a session this admin token issued that has not expired at `now`. */
export function sessionValid(cookieHeader: string | undefined, adminToken: string, now: number): boolean {
  const value = cookieValue(cookieHeader, SESSION_COOKIE);
  if (value === undefined) return false;
  const [expiresText, nonce, given, ...rest] = value.split('.');
  if (expiresText === undefined || nonce === undefined || given === undefined || rest.length > 0) return false;
  if (!/^\d{1,16}$/.test(expiresText)) return false;
  const expires = Number(expiresText);
  if (expires <= now) return false;
  return secretsEqual(given, mac(adminToken, expires, nonce));
}

/** The Set-Cookie header that stores a session: HttpOnly, SameSite=Strict, whole-site path, Secure over HTTPS. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie header that ends a session in the browser. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
