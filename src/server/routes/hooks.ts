// POST /v1/hooks/git — a Git host's push webhook. The body's HMAC-SHA256
// (X-Hub-Signature-256: sha256=<hex>) is checked against XPLANE_WEBHOOK_SECRET
// over the raw bytes, then a sync runs at once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { forbidden, unauthorized, type XplaneError } from '../../errors.js';

/** Options of the webhook route. */
export interface HookRoutesOptions {
  /** The shared secret; undefined disables the webhook. */
  secret: string | undefined;
  /** Starts a sync soon. */
  trigger: () => void;
}

const SHA256_BYTES = 32;
const disabled = (): XplaneError => forbidden('the git webhook is disabled: set XPLANE_WEBHOOK_SECRET');
const wrongSignature = (): XplaneError => unauthorized('missing or wrong X-Hub-Signature-256');

/** The digest a `sha256=<hex>` header names, or undefined when the header cannot be one. */
function signatureDigest(header: string | string[] | undefined): Buffer | undefined {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return undefined;
  const digest = Buffer.from(header.slice('sha256='.length), 'hex');
  return digest.length === SHA256_BYTES ? digest : undefined;
}

/** True when `header` is `sha256=<hex>` of the HMAC of `body` with `secret`. */
export function signatureValid(secret: string, body: Buffer, header: string | undefined): boolean {
  const given = signatureDigest(header);
  return given !== undefined && timingSafeEqual(given, createHmac('sha256', secret).update(body).digest());
}

/** The error a webhook request earns from its headers alone, before its body is read (the HMAC needs the body), or undefined. */
export function webhookRefusal(secret: string | undefined, header: string | string[] | undefined): XplaneError | undefined {
  if (secret === undefined) return disabled();
  return signatureDigest(header) === undefined ? wrongSignature() : undefined;
}

/** Registers POST /v1/hooks/git in its own context (it reads raw bodies). */
export const hookRoutes: FastifyPluginAsync<HookRoutesOptions> = async (app, opts) => {
  // The signature covers the exact bytes sent, so this context keeps bodies raw, whatever their content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/v1/hooks/git', { config: { auth: 'webhook' } }, async (request, reply) => {
    if (opts.secret === undefined) throw disabled();
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = request.headers['x-hub-signature-256'];
    if (!signatureValid(opts.secret, body, typeof header === 'string' ? header : undefined)) throw wrongSignature();
    opts.trigger();
    return reply.code(202).send({ status: 'sync triggered' });
  });
};
