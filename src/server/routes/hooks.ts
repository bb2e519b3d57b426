// POST /v1/hooks/git — a Git host's push webhook, then a sync at once. Each
// host proves it knows XPLANE_WEBHOOK_SECRET its own way, and each proof is
// checked in constant time:
//   Forgejo   X-Forgejo-Signature: <HMAC-SHA256 of the raw body, 64 lowercase hex> (and Gitea's header)
//   Gitea     X-Gitea-Signature:   <HMAC-SHA256 of the raw body, 64 lowercase hex>
//   GitLab    X-Gitlab-Token:      the secret itself (GitLab signs nothing)
//   GitHub    X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, 64 lowercase hex>
// Gitea and Forgejo also send GitHub's header, so a request is judged by the
// first of that list it carries, and by that one only: the host named in the
// log is then the one that sent it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { forbidden, unauthorized, type XplaneError } from '../../errors.js';

/** Options of the webhook route. */
export interface HookRoutesOptions {
  /** The shared secret; undefined disables the webhook. */
  secret: string | undefined;
  /** Starts a sync soon. */
  trigger: () => void;
}

/** A Git host whose push webhooks are understood. */
export type GitHost = 'github' | 'gitea' | 'forgejo' | 'gitlab';

/** How one host proves it knows the secret. */
interface HookScheme {
  host: GitHost;
  /** The header, lowercase as node gives it. */
  header: string;
  /** Its name as the host's docs spell it, for messages. */
  display: string;
  /** What a well-formed value looks like, for messages. */
  shape: string;
  /** The HMAC digest a well-formed value names; undefined when the value cannot be one. Absent: the value is the secret itself. */
  digest?: (value: string) => Buffer | undefined;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const hexDigest = (hex: string): Buffer | undefined => (HEX_DIGEST.test(hex) ? Buffer.from(hex, 'hex') : undefined);

/** The schemes in the order they are looked for. */
export const HOOK_SCHEMES: readonly HookScheme[] = [
  { host: 'forgejo', header: 'x-forgejo-signature', display: 'X-Forgejo-Signature', shape: '64 lowercase hex digits', digest: hexDigest },
  { host: 'gitea', header: 'x-gitea-signature', display: 'X-Gitea-Signature', shape: '64 lowercase hex digits', digest: hexDigest },
  { host: 'gitlab', header: 'x-gitlab-token', display: 'X-Gitlab-Token', shape: 'the secret' },
  {
    host: 'github',
    header: 'x-hub-signature-256',
    display: 'X-Hub-Signature-256',
    shape: 'sha256= and 64 lowercase hex digits',
    digest: (v) => (v.startsWith('sha256=') ? hexDigest(v.slice('sha256='.length)) : undefined),
  },
];

/** The headers a Git host signs or names its event with, which a follower passes on to the leader. */
export const HOOK_HEADERS: readonly string[] = [
  ...HOOK_SCHEMES.map((s) => s.header),
  'x-github-event',
  'x-github-delivery',
  'x-gitea-event',
  'x-gitea-delivery',
  'x-forgejo-event',
  'x-forgejo-delivery',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
  'x-gitlab-webhook-uuid',
  'x-gitlab-instance',
];

const NO_PROOF =
  'missing webhook signature: expected X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea, Forgejo), X-Forgejo-Signature or X-Gitlab-Token (GitLab)';
const disabled = (): XplaneError => forbidden('the git webhook is disabled: set XPLANE_WEBHOOK_SECRET');

/** The scheme a request's headers choose and the value of its header, or undefined when none is present. */
function chosenScheme(headers: IncomingHttpHeaders): { scheme: HookScheme; value: string | string[] } | undefined {
  for (const scheme of HOOK_SCHEMES) {
    const value = headers[scheme.header];
    if (value !== undefined) return { scheme, value };
  }
  return undefined;
}

/** Equal in time that depends on neither value: both sides are hashed to 32 bytes first. */
function secretMatches(given: string, secret: string): boolean {
  const hash = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(hash(given), hash(secret));
}

/** What the headers alone say: a refusal, or the scheme to check the body by (after it arrived), or — for GitLab — a pass. */
function judgeHeaders(secret: string, headers: IncomingHttpHeaders): { refusal: XplaneError } | { scheme: HookScheme; digest?: Buffer } {
  const chosen = chosenScheme(headers);
  if (!chosen) return { refusal: unauthorized(NO_PROOF) };
  const { scheme, value } = chosen;
  const malformed = unauthorized(`malformed ${scheme.display}: expected ${scheme.shape}`);
  if (typeof value !== 'string') return { refusal: malformed };
  if (!scheme.digest) return secretMatches(value, secret) ? { scheme } : { refusal: unauthorized(`wrong ${scheme.display}`) };
  const digest = scheme.digest(value);
  return digest ? { scheme, digest } : { refusal: malformed };
}

/** The host whose proof in `headers` holds for `body` with `secret`, or the error the request earns. */
export function verifyWebhook(secret: string, body: Buffer, headers: IncomingHttpHeaders): { host: GitHost } | { refusal: XplaneError } {
  const judged = judgeHeaders(secret, headers);
  if ('refusal' in judged) return judged;
  const { scheme, digest } = judged;
  if (digest && !timingSafeEqual(digest, createHmac('sha256', secret).update(body).digest())) return { refusal: unauthorized(`wrong ${scheme.display}`) };
  return { host: scheme.host };
}

/** The error a webhook request earns from its headers alone, before its body is read (an HMAC needs the body), or undefined. */
export function webhookRefusal(secret: string | undefined, headers: IncomingHttpHeaders): XplaneError | undefined {
  if (secret === undefined) return disabled();
  const judged = judgeHeaders(secret, headers);
  return 'refusal' in judged ? judged.refusal : undefined;
}

/** Registers POST /v1/hooks/git in its own context (it reads raw bodies). */
export const hookRoutes: FastifyPluginAsync<HookRoutesOptions> = async (app, opts) => {
  // The signature covers the exact bytes sent, so this context keeps bodies raw, whatever their content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/v1/hooks/git', { config: { auth: 'webhook' } }, async (request, reply) => {
    if (opts.secret === undefined) throw disabled();
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifyWebhook(opts.secret, body, request.headers);
    if ('refusal' in verdict) throw verdict.refusal;
    request.log.info({ host: verdict.host }, 'git webhook: sync triggered');
    opts.trigger();
    return reply.code(202).send({ status: 'sync triggered', host: verdict.host });
  });
};
