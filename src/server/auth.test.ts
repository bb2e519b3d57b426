// tokenRefusal: the one table of which token each kind of route takes, used by
// the handlers and, before `100 Continue`, by the Expect gate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersRefusal, tokenRefusal, type NodeTokenCheck, type TokenRule } from './auth.js';
import { newSession } from './session.js';

const TOKENS = { bootstrap: 'boot', admin: 'adm' };
const NODE = 'node-token';
const knows: NodeTokenCheck = (t) => t === NODE;
const leaderOnly: NodeTokenCheck = () => undefined;

type Token = 'none' | 'admin' | 'bootstrap' | 'node' | 'junk';
const header: Record<Token, string | undefined> = {
  none: undefined,
  admin: 'Bearer adm',
  bootstrap: 'bearer boot',
  node: `Bearer ${NODE}`,
  junk: 'Bearer junk',
};

/** What each rule answers to each token on a replica that holds the node tokens: a status, or 'ok'. */
const TABLE: Record<TokenRule, Record<Token, number | 'ok'>> = {
  admin: { none: 401, admin: 'ok', bootstrap: 403, node: 403, junk: 401 },
  'admin-read': { none: 401, admin: 'ok', bootstrap: 403, node: 403, junk: 401 },
  bootstrap: { none: 401, admin: 403, bootstrap: 'ok', node: 403, junk: 401 },
  node: { none: 401, admin: 401, bootstrap: 401, node: 'ok', junk: 401 },
  'admin-or-node': { none: 401, admin: 'ok', bootstrap: 403, node: 'ok', junk: 401 },
};

const outcome = (rule: TokenRule, token: Token, check: NodeTokenCheck): number | 'ok' => {
  const refusal = tokenRefusal(rule, header[token], TOKENS, check);
  if (refusal === undefined) return 'ok';
  return refusal.code === 'XP_ERR_UNAUTHORIZED' ? 401 : refusal.code === 'XP_ERR_FORBIDDEN' ? 403 : 500;
};

describe('tokenRefusal', () => {
  for (const [rule, row] of Object.entries(TABLE) as [TokenRule, Record<Token, number | 'ok'>][]) {
    it(`answers ${JSON.stringify(row)} on a route that takes ${rule}`, () => {
      for (const token of Object.keys(row) as Token[]) assert.equal(outcome(rule, token, knows), row[token], `${rule} with ${token}`);
    });
  }

  it('lets a token only the leader can judge through, but still refuses a missing one and a known token of the wrong kind', () => {
    assert.equal(outcome('admin', 'junk', leaderOnly), 'ok');
    assert.equal(outcome('node', 'junk', leaderOnly), 'ok');
    assert.equal(outcome('admin', 'none', leaderOnly), 401);
    assert.equal(outcome('admin', 'bootstrap', leaderOnly), 403);
    assert.equal(outcome('bootstrap', 'admin', leaderOnly), 403);
    assert.equal(outcome('node', 'bootstrap', leaderOnly), 401);
  });

  it('refuses an Authorization header that is not one Bearer token', () => {
    for (const value of ['Basic YTpi', 'Bearer', 'Bearer a b', ['Bearer adm', 'Bearer adm']]) {
      assert.equal(tokenRefusal('admin', value, TOKENS, knows)?.code, 'XP_ERR_UNAUTHORIZED', JSON.stringify(value));
    }
  });
});

describe('headersRefusal', () => {
  const now = 1_800_000_000_000;
  const cookie = `theme=dark; xplane_session=${newSession(TOKENS.admin, now)}`;

  it('takes a status-page session instead of a token on admin-read routes only', () => {
    assert.equal(headersRefusal('admin-read', { cookie }, TOKENS, knows, now), undefined);
    assert.equal(headersRefusal('admin', { cookie }, TOKENS, knows, now)?.code, 'XP_ERR_UNAUTHORIZED');
    assert.equal(headersRefusal('admin-or-node', { cookie }, TOKENS, knows, now)?.code, 'XP_ERR_UNAUTHORIZED');
  });

  it('judges a token that comes with a session by the token alone', () => {
    assert.equal(headersRefusal('admin-read', { cookie, authorization: 'Bearer boot' }, TOKENS, knows, now)?.code, 'XP_ERR_FORBIDDEN');
    assert.equal(headersRefusal('admin-read', { cookie, authorization: 'Bearer adm' }, TOKENS, knows, now), undefined);
  });

  it('refuses a session another admin token issued, or one past its time', () => {
    assert.equal(headersRefusal('admin-read', { cookie }, { ...TOKENS, admin: 'rotated' }, knows, now)?.code, 'XP_ERR_UNAUTHORIZED');
    assert.equal(headersRefusal('admin-read', { cookie }, TOKENS, knows, now + 13 * 3_600_000)?.code, 'XP_ERR_UNAUTHORIZED');
  });
});
