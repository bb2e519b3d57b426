// The status page's session cookie: issued for the admin token, checked with
// it, never carrying it, and refused when tampered with or expired.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_TTL_MS, clearedSessionCookie, cookieValue, newSession, sessionCookie, sessionValid } from './session.js';

const ADMIN = 'the-admin-token';
const NOW = 1_800_000_000_000;

describe('status page sessions', () => {
  it('accepts a session it issued until SESSION_TTL_MS has passed', () => {
    const header = `xplane_session=${newSession(ADMIN, NOW)}`;
    assert.equal(sessionValid(header, ADMIN, NOW), true);
    assert.equal(sessionValid(header, ADMIN, NOW + SESSION_TTL_MS - 1), true);
    assert.equal(sessionValid(header, ADMIN, NOW + SESSION_TTL_MS), false);
  });

  it('never carries the admin token, and two logins get different sessions', () => {
    const a = newSession(ADMIN, NOW);
    assert.ok(!a.includes(ADMIN));
    assert.notEqual(a, newSession(ADMIN, NOW));
  });

  it('refuses a session with a changed expiry, a changed MAC, another key, or a malformed value', () => {
    const [expires, nonce, mac] = newSession(ADMIN, NOW).split('.') as [string, string, string];
    const later = `${Number(expires) + 1_000_000}`;
    for (const value of [
      `${later}.${nonce}.${mac}`,
      `${expires}.${nonce}.${mac.slice(0, -2)}AA`,
      `${expires}.${nonce}`,
      `${expires}.${nonce}.${mac}.x`,
      `-1.${nonce}.${mac}`,
      '',
    ]) {
      assert.equal(sessionValid(`xplane_session=${value}`, ADMIN, NOW), false, value);
    }
    assert.equal(sessionValid(`xplane_session=${expires}.${nonce}.${mac}`, 'another-token', NOW), false);
    assert.equal(sessionValid(undefined, ADMIN, NOW), false);
  });

  it('finds its cookie among others', () => {
    assert.equal(cookieValue('a=1; xplane_session=v.w.x; b=2', 'xplane_session'), 'v.w.x');
    assert.equal(cookieValue('xplane_session_old=1', 'xplane_session'), undefined);
  });

  it('sets the cookie HttpOnly and SameSite=Strict on the whole site, Secure only over HTTPS, and clears it', () => {
    assert.equal(sessionCookie('v', false), 'xplane_session=v; Path=/; HttpOnly; SameSite=Strict');
    assert.equal(sessionCookie('v', true), 'xplane_session=v; Path=/; HttpOnly; SameSite=Strict; Secure');
    assert.match(clearedSessionCookie(false), /^xplane_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
  });
});
