// Each Git host's push webhook against a real `xplane serve` (dist/; run
// `npm run build` first) over real HTTP, on a real git remote: a push, then the
// host's webhook as its documentation shows it, and the pushed commit is in
// force at once — the poll interval is an hour, so only the webhook can have
// made that sync happen. A wrong proof syncs nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgejoPush, giteaPush, githubPush, gitlabPush, makeGitFixture, rawExchange, type GitFixture, type HookRequest } from '../src/testing/index.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

const SECRET = 'e2e-webhook-secret';
const ADMIN = 'e2e-admin-token';
const GTM = 'platform-config/gtm/svc-plus.yaml';

describe('push webhooks of GitHub, Gitea, Forgejo and GitLab on a real serve', () => {
  let fixture: GitFixture;
  let serve: ServeProcess;
  let head: string;

  const inForce = async (): Promise<string | null> => {
    const res = await fetch(`${serve.url}/v1/services/svc-plus`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { configCommit: string | null }).configCommit;
  };

  /** Waits until the commit in force is `commit` (a sync ran), or fails after `ms`. */
  const untilInForce = async (commit: string, ms = 10_000): Promise<void> => {
    const end = Date.now() + ms;
    while ((await inForce()) !== commit) {
      if (Date.now() > end) assert.fail(`${commit.slice(0, 7)} not in force after ${ms} ms (in force: ${await inForce()})\n${serve.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** Pushes a change of a declaration (the gtm TTL): only such a commit changes the configuration in force. */
  const pushTtl = (ttl: number): string => fixture.commit({ [GTM]: fixture.read(GTM).replace(/^(\s*ttl:) \d+/m, `$1 ${ttl}`) }, `human: ttl ${ttl}`);

  const post = (hook: HookRequest): Promise<Response> => fetch(`${serve.url}/v1/hooks/git`, { method: 'POST', headers: hook.headers, body: hook.body });

  before(async () => {
    fixture = makeGitFixture();
    head = pushTtl(31);
    serve = await startServe(
      ['--repo', fixture.bare, '--workdir', join(fixture.root, 'state/work'), '--db', join(fixture.root, 'state/x.db'), '--sync-interval', '1h', '--no-push'],
      { XPLANE_WEBHOOK_SECRET: SECRET, XPLANE_ADMIN_TOKEN: ADMIN, XPLANE_BOOTSTRAP_TOKEN: 'e2e-bootstrap' },
    );
    await untilInForce(head);
  });
  after(async () => {
    await serve.stop();
    fixture.cleanup();
  });

  const hosts: { host: string; hook: (push: { url: string; branch: string; before: string; after: string }) => HookRequest }[] = [
    { host: 'github', hook: (p) => githubPush(SECRET, p) },
    { host: 'gitea', hook: (p) => giteaPush(SECRET, p) },
    { host: 'gitea', hook: (p) => giteaPush(SECRET, p, { ownHeadersOnly: true }) },
    { host: 'forgejo', hook: (p) => forgejoPush(SECRET, p) },
    { host: 'gitlab', hook: (p) => gitlabPush(SECRET, p) },
  ];
  for (const [i, c] of hosts.entries()) {
    it(`syncs at once on a ${c.host} push webhook${i === 2 ? ' (Gitea headers only)' : ''}`, async () => {
      const before1 = head;
      head = pushTtl(40 + i);
      assert.notEqual(await inForce(), head, 'not synced before the webhook');
      const res = await post(c.hook({ url: fixture.bare, branch: 'main', before: before1, after: head }));
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { status: 'sync triggered', host: c.host });
      await untilInForce(head);
    });
  }

  it('syncs nothing on a webhook with a wrong proof from any host', async () => {
    const before1 = head;
    const pushed = pushTtl(99);
    const push = { url: fixture.bare, branch: 'main', before: before1, after: pushed };
    for (const hook of [githubPush('wrong', push), giteaPush('wrong', push, { ownHeadersOnly: true }), forgejoPush('wrong', push), gitlabPush('wrong', push)]) {
      const res = await post(hook);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'XP_ERR_UNAUTHORIZED');
    }
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(await inForce(), before1, 'still the commit before');
    head = pushed;
  });

  it('refuses a wrong GitLab token before the body under Expect: 100-continue, and lets a right one send it', async () => {
    const port = Number(new URL(serve.url).port);
    const request = (hook: HookRequest): string =>
      [
        'POST /v1/hooks/git HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        ...Object.entries(hook.headers).map(([k, v]) => `${k}: ${v}`),
        `content-length: ${Buffer.byteLength(hook.body)}`,
        'expect: 100-continue',
        '',
        '',
      ].join('\r\n');
    const push = { url: fixture.bare, branch: 'main', before: head, after: head };
    const wrong = gitlabPush('wrong', push);
    const refused = await rawExchange(port, request(wrong), wrong.body);
    assert.match(refused.statusLines[0] ?? '', /^HTTP\/1\.1 401 /);
    assert.equal(refused.bodySent, false);
    const right = gitlabPush(SECRET, push);
    const taken = await rawExchange(port, request(right), right.body);
    assert.deepEqual(
      taken.statusLines.map((l) => l.split(' ')[1]),
      ['100', '202'],
    );
  });
});
