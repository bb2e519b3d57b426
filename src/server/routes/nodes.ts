// The node API of contract §5: register, heartbeat, drain, list.
import type { FastifyPluginAsync } from 'fastify';
import type { NodeState } from '../../store/index.js';
import type { HeartbeatInput, NodeRegistry, RegisterInput } from '../../nodes/index.js';
import { requireAdmin, requireBearer, tokenRole, type ServerTokens } from '../auth.js';
import { forbidden, notReady, unauthorized } from '../../errors.js';

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
    { schema: registerSchema, config: { rateLimit: { max: opts.registerPerMinute, timeWindow: 60_000 } } },
    async (request, reply) => {
      const token = requireBearer(request);
      const role = tokenRole(token, tokens, isNodeToken);
      if (role === undefined) throw unauthorized('invalid token');
      if (role !== 'bootstrap') throw forbidden(`register with the bootstrap token, not the ${role} token`);
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

  app.post<{ Body: HeartbeatInput }>('/v1/nodes/heartbeat', { schema: heartbeatSchema }, async (request) => {
    const token = requireBearer(request);
    return { state: registry.heartbeat(token, request.body) };
  });

  app.post<{ Body: { name: string } }>('/v1/nodes/drain', { schema: drainSchema }, async (request) => {
    const token = requireBearer(request);
    const role = tokenRole(token, tokens, isNodeToken);
    if (role === 'admin') return { state: registry.drain(request.body.name) };
    if (role === 'node') return { state: registry.drain(request.body.name, token) };
    if (role === undefined) throw unauthorized('invalid token');
    throw forbidden('drain takes the admin token or the node’s own token');
  });

  app.get<{ Querystring: { service?: string; region?: string; state?: NodeState } }>('/v1/nodes', { schema: listSchema }, async (request) => {
    requireAdmin(request, tokens, isNodeToken);
    return registry.list(request.query);
  });
};
