// GET /v1/history (contract §5): the loop's decisions from the store's decision
// log, newest first, filtered and paged. A page ends at a time boundary: the
// decisions of one pass share their time, and a page never splits them, so the
// next page is simply "before the oldest time on this one" (the `Link` header).
import type { FastifyPluginAsync } from 'fastify';
import { parseDuration } from '../../config/index.js';
import { historyEntry } from '../../decision/index.js';
import { badRequest } from '../../errors.js';
import type { NodeRegistry } from '../../nodes/index.js';
import type { DecisionFilter, DecisionRecord } from '../../store/index.js';
import { requireAdminRead, type ServerTokens } from '../auth.js';

/** Options of the history route. */
export interface HistoryRouteOptions {
  /** The decision log, newest first (Store.listDecisions). */
  decisions: (filter: DecisionFilter) => Promise<DecisionRecord[]>;
  registry: NodeRegistry;
  tokens: ServerTokens;
  now?: () => number;
}

/** Entries per page unless `limit` says otherwise. */
export const DEFAULT_HISTORY_LIMIT = 100;
/** The most entries one page may ask for. */
export const MAX_HISTORY_LIMIT = 1000;

const LABEL = { type: 'string', minLength: 1, maxLength: 63 } as const;
const TIME = { type: 'string', minLength: 1, maxLength: 40 } as const;

const historySchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      service: LABEL,
      region: LABEL,
      since: TIME,
      before: TIME,
      limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
    },
  },
} as const;

interface HistoryQuery {
  service?: string;
  region?: string;
  since?: string;
  before?: string;
  limit?: string;
}

/** A time given as a duration back from now (`1h`, `30m`) or as an ISO 8601 time; epoch ms. */
export function parseSince(text: string, now: number, field: string): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  return parseTime(text, field);
}

/** An ISO 8601 time (with a date, and a zone or `Z`), as epoch ms. */
export function parseTime(text: string, field: string): number {
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(at)) throw badRequest(field, `${field} must be a duration back from now (30m, 24h) or an ISO 8601 time (2026-11-22T00:39:31.233Z)`);
  return at;
}

/**
 * One page of at most `limit` decisions and the time the next page ends before (null: no more).
 * Decisions sharing the time at the page's edge all go on this page or all on the next.
 */
export async function historyPage(
  decisions: HistoryRouteOptions['decisions'],
  filter: Omit<DecisionFilter, 'limit'>,
  limit: number,
): Promise<{ page: DecisionRecord[]; next: number | null }> {
  const rows = await decisions({ ...filter, limit: limit + 1 });
  if (rows.length <= limit) return { page: rows, next: null };
  let page = rows.slice(0, limit);
  const edge = page.at(-1)?.at;
  if (edge !== undefined && rows[limit]?.at === edge) {
    const older = page.filter((d) => d.at !== edge);
    // One pass made more decisions than a page holds: that pass whole is the page.
    page = older.length > 0 ? older : await decisions({ ...filter, since: edge, before: edge + 1 });
  }
  return { page, next: page.at(-1)?.at ?? null };
}

function nextLink(query: HistoryQuery, before: number, limit: number): string {
  const params = new URLSearchParams();
  if (query.service !== undefined) params.set('service', query.service);
  if (query.region !== undefined) params.set('region', query.region);
  if (query.since !== undefined) params.set('since', query.since);
  params.set('before', new Date(before).toISOString());
  params.set('limit', String(limit));
  return `</v1/history?${params.toString()}>; rel="next"`;
}

/** Registers GET /v1/history. */
export const historyRoutes: FastifyPluginAsync<HistoryRouteOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  app.get<{ Querystring: HistoryQuery }>('/v1/history', { schema: historySchema, config: { auth: 'admin-read' } }, async (request, reply) => {
    requireAdminRead(request, opts.tokens, (t) => opts.registry.isNodeToken(t));
    const q = request.query;
    const limit = q.limit === undefined ? DEFAULT_HISTORY_LIMIT : Number(q.limit);
    if (limit < 1 || limit > MAX_HISTORY_LIMIT) throw badRequest('limit', `limit must be between 1 and ${MAX_HISTORY_LIMIT}`);
    const filter: Omit<DecisionFilter, 'limit'> = {
      service: q.service,
      region: q.region,
      since: q.since === undefined ? undefined : parseSince(q.since, now(), 'since'),
      before: q.before === undefined ? undefined : parseTime(q.before, 'before'),
    };
    const { page, next } = await historyPage(opts.decisions, filter, limit);
    if (next !== null) void reply.header('link', nextLink(q, next, limit));
    return page.map(historyEntry);
  });
};
