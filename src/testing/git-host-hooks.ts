// Push webhooks as each Git host sends them: the headers and payload shapes of
// GitHub's, Gitea's, Forgejo's and GitLab's documentation (trimmed to the
// fields a push carries), signed — or tokened — with a secret.
import { createHmac, randomUUID } from 'node:crypto';

/** One webhook request: its headers and the exact body bytes. */
export interface HookRequest {
  headers: Record<string, string>;
  body: string;
}

/** What was pushed. */
export interface PushFacts {
  /** The repository's clone URL. */
  url: string;
  branch: string;
  before: string;
  after: string;
}

const hmacHex = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');
const ZERO = '0'.repeat(40);
const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

function commitOf(push: PushFacts, webUrl: string): Record<string, unknown> {
  return {
    id: push.after,
    message: 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n',
    timestamp: '2025-01-02T03:04:05Z',
    url: `${webUrl}/commit/${push.after}`,
    author: BOT,
    added: [],
    removed: [],
    modified: ['stacks/Pulumi.jp.yaml'],
  };
}

/** GitHub's `push` event, JSON content type, signed with X-Hub-Signature-256 (and the older SHA-1 X-Hub-Signature). */
export function githubPush(secret: string, push: PushFacts): HookRequest {
  const web = 'https://github.com/acme/gitops';
  const commit = {
    ...commitOf(push, web),
    tree_id: 'f'.repeat(40),
    distinct: true,
    committer: { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' },
  };
  const body = JSON.stringify({
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    repository: {
      id: 123456,
      node_id: 'R_kgDOABCDEF',
      name: 'gitops',
      full_name: 'acme/gitops',
      private: true,
      clone_url: push.url,
      default_branch: push.branch,
    },
    pusher: { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' },
    sender: { login: 'xplane-bot', id: 42, type: 'User' },
    created: push.before === ZERO,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${web}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
  });
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/4f8e1b2',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-github-hook-id': '512345678',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': '123456',
      'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
      'x-hub-signature-256': `sha256=${hmacHex(secret, body)}`,
    },
    body,
  };
}

/** The push payload Gitea and Forgejo share (Gitea's `api.PushPayload`). */
function giteaBody(push: PushFacts, web: string): string {
  const user = { id: 1, login: 'xplane-bot', full_name: 'xplane-bot', email: 'xplane-bot@users.noreply.local', username: 'xplane-bot' };
  const commit = { ...commitOf(push, web), committer: { ...BOT, username: 'xplane-bot' }, verification: null };
  return JSON.stringify({
    ref: `refs/heads/${push.branch}`,
    before: push.before,
    after: push.after,
    compare_url: `${web}/compare/${push.before}...${push.after}`,
    commits: [commit],
    total_commits: 1,
    head_commit: commit,
    repository: {
      id: 7,
      owner: user,
      name: 'gitops',
      full_name: 'acme/gitops',
      private: true,
      html_url: web,
      clone_url: push.url,
      default_branch: push.branch,
    },
    pusher: user,
    sender: user,
  });
}

/**
 * Gitea's `push` event with the headers Gitea sends: its own X-Gitea-Signature, the Gogs ones,
 * and (unless `ownHeadersOnly`, as older Gitea releases sent) GitHub's.
 */
export function giteaPush(secret: string, push: PushFacts, options: { ownHeadersOnly?: boolean } = {}): HookRequest {
  const body = giteaBody(push, 'https://gitea.example.com/acme/gitops');
  const delivery = randomUUID();
  const signature = hmacHex(secret, body);
  const github: Record<string, string> = options.ownHeadersOnly
    ? {}
    : {
        'x-github-delivery': delivery,
        'x-github-event': 'push',
        'x-github-event-type': 'push',
        'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
        'x-hub-signature-256': `sha256=${signature}`,
      };
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Go-http-client/1.1',
      'x-gitea-delivery': delivery,
      'x-gitea-event': 'push',
      'x-gitea-event-type': 'push',
      'x-gitea-signature': signature,
      'x-gogs-delivery': delivery,
      'x-gogs-event': 'push',
      'x-gogs-event-type': 'push',
      'x-gogs-signature': signature,
      ...github,
    },
    body,
  };
}

/** Forgejo's `push` event: the Gitea payload, its own X-Forgejo-* headers and the Gitea ones it still sends. */
export function forgejoPush(secret: string, push: PushFacts): HookRequest {
  const body = giteaBody(push, 'https://codeberg.example.org/acme/gitops');
  const delivery = randomUUID();
  const signature = hmacHex(secret, body);
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Go-http-client/1.1',
      'x-forgejo-delivery': delivery,
      'x-forgejo-event': 'push',
      'x-forgejo-event-type': 'push',
      'x-forgejo-signature': signature,
      'x-gitea-delivery': delivery,
      'x-gitea-event': 'push',
      'x-gitea-event-type': 'push',
      'x-gitea-signature': signature,
      'x-gogs-delivery': delivery,
      'x-gogs-event': 'push',
      'x-gogs-signature': signature,
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  };
}

/** GitLab's `Push Hook`, with the secret token in X-Gitlab-Token (GitLab does not sign the body). */
export function gitlabPush(token: string, push: PushFacts): HookRequest {
  const web = 'https://gitlab.example.com/acme/gitops';
  const project = {
    id: 15,
    name: 'gitops',
    web_url: web,
    git_ssh_url: 'git@gitlab.example.com:acme/gitops.git',
    git_http_url: push.url,
    namespace: 'acme',
    visibility_level: 0,
    path_with_namespace: 'acme/gitops',
    default_branch: push.branch,
  };
  const body = JSON.stringify({
    object_kind: 'push',
    event_name: 'push',
    before: push.before,
    after: push.after,
    ref: `refs/heads/${push.branch}`,
    ref_protected: true,
    checkout_sha: push.after,
    message: null,
    user_id: 4,
    user_name: 'xplane-bot',
    user_username: 'xplane-bot',
    user_email: '',
    project_id: 15,
    project,
    commits: [{ ...commitOf(push, web), title: 'autoscale: svc-plus jp 1→2 (cpu=0.82)' }],
    total_commits_count: 1,
    push_options: {},
    repository: { name: 'gitops', url: project.git_ssh_url, homepage: web, git_http_url: push.url, git_ssh_url: project.git_ssh_url, visibility_level: 0 },
  });
  const uuid = randomUUID();
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitLab/17.5.1',
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': token,
      'x-gitlab-instance': 'https://gitlab.example.com',
      'x-gitlab-webhook-uuid': randomUUID(),
      'x-gitlab-event-uuid': uuid,
      'idempotency-key': uuid,
    },
    body,
  };
}
