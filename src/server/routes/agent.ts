// GET /v1/agent/xplane-agent.mjs (contract §5): the one-file node agent that
// `npm run build` writes, for nodes that boot knowing only the control plane's
// URL. Anyone may fetch it (it holds no secret); a node checks it against the
// SHA-256 its user data carries, which is also the ETag here. Every replica
// serves it itself: it is the same file everywhere, and a node should get it
// even while the replicas elect a leader.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';

/** The path the route answers on. */
export const AGENT_ROUTE = '/v1/agent/xplane-agent.mjs';

/** Options of the agent route. */
export interface AgentRouteOptions {
  /** The bundle on disk (the package's dist/agent/xplane-agent.mjs). */
  bundlePath: string;
}

interface Loaded {
  bytes: Buffer;
  etag: string;
}

/** Registers GET /v1/agent/xplane-agent.mjs. */
export const agentRoutes: FastifyPluginAsync<AgentRouteOptions> = async (app, opts) => {
  // Read on first request and kept: the file changes only with the package, which means a restart.
  let loaded: Promise<Loaded | undefined> | undefined;
  const load = (): Promise<Loaded | undefined> =>
    (loaded ??= readFile(opts.bundlePath).then(
      (bytes) => ({ bytes, etag: `"${createHash('sha256').update(bytes).digest('hex')}"` }),
      () => {
        loaded = undefined; // try again next time: a build may have written it since
        return undefined;
      },
    ));

  app.get(AGENT_ROUTE, async (request, reply) => {
    const agent = await load();
    if (!agent) {
      return reply.code(503).send({ error: { code: 'XP_ERR_AGENT_MISSING', message: `the agent bundle ${opts.bundlePath} is not built (npm run build)` } });
    }
    reply.header('etag', agent.etag).header('cache-control', 'no-cache');
    const match = request.headers['if-none-match'];
    if (match !== undefined && match.split(',').some((tag) => tag.trim() === agent.etag || tag.trim() === '*')) return reply.code(304).send();
    return reply.header('content-type', 'text/javascript; charset=utf-8').send(agent.bytes);
  });
};
