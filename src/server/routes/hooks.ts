// POST /v1/hooks/git — a Git host's push webhook. The body's HMAC-SHA256
// (X-Hub-Signature-256: sha256=<hex>) is checked against XPLANE_WEBHOOK_SECRET
// over the raw bytes, then a sync runs at once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { forbidden, unauthorized } from '../../errors.js';

/** Options of the webhook route. */
export interface HookRoutesOptions {
  /** The shared secret; undefined disables the webhook. */
  secret: string | undefined;
  /** Starts a sync soon. */
  trigger: () => void;
}

/** True when `header` is `sha256=<hex>` of the HMAC of `body` with `secret`. */
export function signatureValid(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Registers POST /v1/hooks/git in its own context (it reads raw bodies). */
export const hookRoutes: FastifyPluginAsync<HookRoutesOptions> = async (app, opts) => {
  // The signature covers the exact bytes sent, so this context keeps bodies raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.post('/v1/hooks/git', async (request, reply) => {
    if (opts.secret === undefined) throw forbidden('the git webhook is disabled: set XPLANE_WEBHOOK_SECRET');
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = request.headers['x-hub-signature-256'];
    if (!signatureValid(opts.secret, body, typeof header === 'string' ? header : undefined)) {
      throw unauthorized('missing or wrong X-Hub-Signature-256');
    }
    opts.trigger();
    return reply.code(202).send({ status: 'sync triggered' });
  });
};
