// POST /v1/hooks/git for each Git host, with the headers and payload shapes of
// its documentation (src/testing/git-host-hooks.ts), through inject().
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { silentLogger } from '../../log/index.js';
import { Metrics } from '../../metrics/index.js';
import { NodeRegistry } from '../../nodes/index.js';
import { MemoryStore } from '../../store/index.js';
import { forgejoPush, giteaPush, githubPush, gitlabPush, type HookRequest, type PushFacts } from '../../testing/index.js';
import { buildApp } from '../app.js';
import { verifyWebhook, webhookRefusal } from './hooks.js';

const SECRET = 'hook-s3cret';
const PUSH: PushFacts = { url: 'https://git.example.com/acme/gitops.git', branch: 'main', before: 'a'.repeat(40), after: 'b'.repeat(40) };

async function app() {
  const registry = new NodeRegistry({ store: new MemoryStore(), log: silentLogger(), config: () => undefined });
  const metrics = new Metrics({ nodeCounts: () => [], heartbeatCount: () => 0, isLeader: () => true }, { defaultMetrics: false });
  let triggered = 0;
  const built = await buildApp({
    registry,
    metrics,
    tokens: { bootstrap: 'b', admin: 'a' },
    log: silentLogger(),
    webhook: { secret: SECRET, trigger: () => (triggered += 1) },
    serviceStatus: async () => undefined,
  });
  return { app: built, triggered: () => triggered };
}

interface Answer {
  status?: string;
  host?: string;
  error?: { code: string; message: string };
}

async function send(hook: HookRequest): Promise<{ status: number; body: Answer; triggered: number }> {
  const { app: a, triggered } = await app();
  const res = await a.inject({ method: 'POST', url: '/v1/hooks/git', headers: hook.headers, payload: hook.body });
  return { status: res.statusCode, body: res.json<Answer>(), triggered: triggered() };
}

/** The same request with some headers changed (undefined removes one). */
function withHeaders(hook: HookRequest, changes: Record<string, string | undefined>): HookRequest {
  const headers = { ...hook.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) Reflect.deleteProperty(headers, name);
    else headers[name] = value;
  }
  return { headers, body: hook.body };
}

describe('webhooks of each Git host', () => {
  const accepted: { what: string; hook: HookRequest; host: string }[] = [
    { what: 'GitHub push (X-Hub-Signature-256)', hook: githubPush(SECRET, PUSH), host: 'github' },
    { what: 'Gitea push as Gitea sends it (its own and GitHub’s headers)', hook: giteaPush(SECRET, PUSH), host: 'gitea' },
    { what: 'Gitea push with only X-Gitea-Signature (older Gitea)', hook: giteaPush(SECRET, PUSH, { ownHeadersOnly: true }), host: 'gitea' },
    { what: 'Forgejo push (X-Forgejo-Signature)', hook: forgejoPush(SECRET, PUSH), host: 'forgejo' },
    {
      what: 'Forgejo push judged by X-Gitea-Signature when its own header is absent',
      hook: withHeaders(forgejoPush(SECRET, PUSH), { 'x-forgejo-signature': undefined }),
      host: 'gitea',
    },
    { what: 'GitLab Push Hook (X-Gitlab-Token)', hook: gitlabPush(SECRET, PUSH), host: 'gitlab' },
  ];
  for (const c of accepted) {
    it(`accepts a ${c.what}: 202, names the host, triggers one sync`, async () => {
      const res = await send(c.hook);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(res.body, { status: 'sync triggered', host: c.host });
      assert.equal(res.triggered, 1);
    });
  }

  const refused: { what: string; hook: HookRequest; message: RegExp }[] = [
    { what: 'GitHub push signed with another secret', hook: githubPush('other', PUSH), message: /^wrong X-Hub-Signature-256$/ },
    {
      what: 'GitHub signature in uppercase hex',
      hook: ((h) => withHeaders(h, { 'x-hub-signature-256': (h.headers['x-hub-signature-256'] ?? '').replace(/[a-f]/g, (x) => x.toUpperCase()) }))(
        githubPush(SECRET, PUSH),
      ),
      message: /^malformed X-Hub-Signature-256: expected sha256= and 64 lowercase hex digits$/,
    },
    {
      what: 'GitHub signature with trailing bytes after the digest',
      hook: ((h) => withHeaders(h, { 'x-hub-signature-256': `${h.headers['x-hub-signature-256'] ?? ''}00` }))(githubPush(SECRET, PUSH)),
      message: /^malformed X-Hub-Signature-256/,
    },
    {
      what: 'GitHub signature with trailing non-hex garbage',
      hook: ((h) => withHeaders(h, { 'x-hub-signature-256': `${h.headers['x-hub-signature-256'] ?? ''}zz` }))(githubPush(SECRET, PUSH)),
      message: /^malformed X-Hub-Signature-256/,
    },
    {
      what: 'GitHub push with only the SHA-1 X-Hub-Signature',
      hook: withHeaders(githubPush(SECRET, PUSH), { 'x-hub-signature-256': undefined }),
      message:
        /^missing webhook signature: expected X-Hub-Signature-256 \(GitHub\), X-Gitea-Signature \(Gitea, Forgejo\), X-Forgejo-Signature or X-Gitlab-Token \(GitLab\)$/,
    },
    { what: 'Gitea push signed with another secret', hook: giteaPush('other', PUSH, { ownHeadersOnly: true }), message: /^wrong X-Gitea-Signature$/ },
    {
      what: 'Gitea signature with GitHub’s sha256= prefix',
      hook: ((h) => withHeaders(h, { 'x-gitea-signature': `sha256=${h.headers['x-gitea-signature'] ?? ''}` }))(
        giteaPush(SECRET, PUSH, { ownHeadersOnly: true }),
      ),
      message: /^malformed X-Gitea-Signature: expected 64 lowercase hex digits$/,
    },
    {
      what: 'Gitea push whose own signature is wrong though GitHub’s header is right (the first header present is the one judged)',
      hook: withHeaders(giteaPush(SECRET, PUSH), { 'x-gitea-signature': createHmac('sha256', 'other').update('x').digest('hex') }),
      message: /^wrong X-Gitea-Signature$/,
    },
    { what: 'Forgejo push signed with another secret', hook: forgejoPush('other', PUSH), message: /^wrong X-Forgejo-Signature$/ },
    { what: 'GitLab push with another token', hook: gitlabPush('other', PUSH), message: /^wrong X-Gitlab-Token$/ },
    { what: 'GitLab push with the token plus one character', hook: gitlabPush(`${SECRET}x`, PUSH), message: /^wrong X-Gitlab-Token$/ },
    { what: 'GitLab push with an empty token', hook: gitlabPush('', PUSH), message: /^wrong X-Gitlab-Token$/ },
  ];
  for (const c of refused) {
    it(`refuses a ${c.what} with 401 and triggers nothing`, async () => {
      const res = await send(c.hook);
      assert.equal(res.status, 401);
      assert.equal(res.body.error?.code, 'XP_ERR_UNAUTHORIZED');
      assert.match(res.body.error.message, c.message);
      assert.equal(res.triggered, 0);
    });
  }

  it('checks an HMAC over the exact bytes: a re-serialized payload fails', async () => {
    const hook = githubPush(SECRET, PUSH);
    const reformatted = JSON.stringify(JSON.parse(hook.body), null, 2);
    assert.equal((await send({ headers: hook.headers, body: reformatted })).status, 401);
  });

  it('judges from the headers alone what it can before the body (the Expect: 100-continue gate)', () => {
    assert.equal(webhookRefusal(SECRET, githubPush('any', PUSH).headers), undefined, 'a well-formed HMAC waits for its body');
    assert.equal(webhookRefusal(SECRET, giteaPush('any', PUSH, { ownHeadersOnly: true }).headers), undefined);
    assert.equal(webhookRefusal(SECRET, gitlabPush(SECRET, PUSH).headers), undefined, 'the right GitLab token passes');
    assert.match(webhookRefusal(SECRET, gitlabPush('nope', PUSH).headers)?.message ?? '', /wrong X-Gitlab-Token/, 'a GitLab token is judged whole');
    assert.match(webhookRefusal(SECRET, { 'x-hub-signature-256': 'sha256=00' })?.message ?? '', /malformed X-Hub-Signature-256/);
    assert.match(webhookRefusal(SECRET, { 'x-gitea-signature': 'zz' })?.message ?? '', /malformed X-Gitea-Signature/);
    assert.match(webhookRefusal(SECRET, {})?.message ?? '', /missing webhook signature/);
    assert.equal(webhookRefusal(undefined, githubPush(SECRET, PUSH).headers)?.code, 'XP_ERR_FORBIDDEN');
  });

  it('verifies each host’s proof with the same secret and reports which host sent it', () => {
    for (const [hook, host] of [
      [githubPush(SECRET, PUSH), 'github'],
      [giteaPush(SECRET, PUSH), 'gitea'],
      [forgejoPush(SECRET, PUSH), 'forgejo'],
      [gitlabPush(SECRET, PUSH), 'gitlab'],
    ] as const) {
      assert.deepEqual(verifyWebhook(SECRET, Buffer.from(hook.body), hook.headers), { host });
    }
  });
});
