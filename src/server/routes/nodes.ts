// The node API of contract §5: register, heartbeat, drain, list.
import type { FastifyPluginAsync } from 'fastify';
import type { NodeState } from '../../store/index.js';
import type { HeartbeatInput, NodeRegistry, RegisterInput } from '../../nodes/index.js';
import { requireAdminRead, requireBearer, requireToken, tokenRole, type ServerTokens } from '../auth.js';
import { notReady } from '../../errors.js';

/** Options of the node routes. */
export interface NodeRoutesOptions {
  registry: NodeRegistry;
  tokens: ServerTokens;
  /** Registrations per minute per client address. */
  registerPerMinute: number;
}

const NAME = { type: 'string', minLength: 1, maxLength: 128 } as const;
const LABEL = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' } as const;
const FRACTION = { type: 'number', minimum: 0, maximum: 1 } as const;
const STATES: NodeState[] = ['warm', 'active', 'drain', 'deleted', 'down'];

const registerSchema = {
  body: {
    type: 'object',
    required: ['service', 'region', 'address'],
    additionalProperties: false,
    properties: {
      service: LABEL,
      region: LABEL,
      address: { type: 'string', minLength: 1, maxLength: 64 },
      name: NAME,
      labels: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: 256 }, propertyNames: { maxLength: 63 } },
    },
  },
} as const;

const heartbeatSchema = {
  body: {
    type: 'object',
    required: ['name', 'cpu'],
    additionalProperties: false,
    properties: {
      name: NAME,
      cpu: FRACTION,
      mem: FRACTION,
      qps: { type: 'number', minimum: 0, maximum: 1e9 },
      errorRate: FRACTION,
      rttMs: { type: 'number', minimum: 0, maximum: 3_600_000 },
    },
  },
  // A response schema lets fastify serialize the hot path's answer without JSON.stringify.
  response: { 200: { type: 'object', properties: { state: { type: 'string' } }, required: ['state'] } },
} as const;

const drainSchema = {
  body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: NAME } },
} as const;

const listSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { service: { type: 'string', maxLength: 63 }, region: { type: 'string', maxLength: 63 }, state: { type: 'string', enum: STATES } },
  },
} as const;

/** Registers the /v1/nodes routes. */
export const nodeRoutes: FastifyPluginAsync<NodeRoutesOptions> = async (app, opts) => {
  const { registry, tokens } = opts;
  const isNodeToken = (t: string): boolean => registry.isNodeToken(t);

  app.post<{ Body: RegisterInput }>(
    '/v1/nodes/register',
    { schema: registerSchema, config: { auth: 'bootstrap', rateLimit: { max: opts.registerPerMinute, timeWindow: 60_000 } } },
    async (request, reply) => {
      requireToken(request, 'bootstrap', tokens, isNodeToken);
      const registration = registry.register(request.body);
      // Durable before the token is handed out: a leader that dies now must not leave the agent with a token nobody knows.
      try {
        await registry.persistState();
      } catch {
        throw notReady('the store did not take the registration; retry shortly');
      }
      return reply.code(201).send(registration);
    },
  );

  // Which node a token must belong to is in the body: the registry checks that.
  app.post<{ Body: HeartbeatInput }>('/v1/nodes/heartbeat', { schema: heartbeatSchema, config: { auth: 'node' } }, async (request) => {
    const token = requireBearer(request);
    return { state: registry.heartbeat(token, request.body) };
  });

  app.post<{ Body: { name: string } }>('/v1/nodes/drain', { schema: drainSchema, config: { auth: 'admin-or-node' } }, async (request) => {
    const token = requireToken(request, 'admin-or-node', tokens, isNodeToken);
    // Past the rule the token is the admin's or a node's; a node drains only itself.
    return { state: tokenRole(token, tokens, isNodeToken) === 'admin' ? registry.drain(request.body.name) : registry.drain(request.body.name, token) };
  });

  app.get<{ Querystring: { service?: string; region?: string; state?: NodeState } }>(
    '/v1/nodes',
    { schema: listSchema, config: { auth: 'admin-read' } },
    async (request) => {
      requireAdminRead(request, tokens, isNodeToken);
      return registry.list(request.query);
    },
  );
};
