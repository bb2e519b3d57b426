// The one place where errors become HTTP answers. Every error body has the
// shape { error: { code, message, field? } }; internal details never leak.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { XplaneError, type ErrorCode } from '../errors.js';

/** HTTP status of each error code. */
export const STATUS: Record<ErrorCode, number> = {
  XP_ERR_BAD_REQUEST: 400,
  XP_ERR_UNAUTHORIZED: 401,
  XP_ERR_FORBIDDEN: 403,
  XP_ERR_NOT_FOUND: 404,
  XP_ERR_CONFLICT: 409,
  XP_ERR_PAYLOAD_TOO_LARGE: 413,
  XP_ERR_RATE_LIMITED: 429,
  XP_ERR_TIMEOUT: 408,
  XP_ERR_NOT_READY: 503,
  XP_ERR_INTERNAL: 500,
};

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldOf(item: ValidationItem, context: string | undefined): string {
  const path = (item.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const extra = item.params?.missingProperty ?? item.params?.additionalProperty;
  const field = [path, typeof extra === 'string' ? extra : ''].filter((p) => p !== '').join('.');
  return field || (context ?? 'body');
}

function describe(item: ValidationItem, field: string): string {
  switch (item.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${field} is not a known field`;
    default:
      return `${field} ${item.message ?? 'is invalid'}`;
  }
}

/** Maps any error to a status and the error body. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof XplaneError) {
    return { status: STATUS[error.code], body: { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } } };
  }
  const e = error as FastifyError & { validation?: ValidationItem[]; validationContext?: string };
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    const first = e.validation[0] as ValidationItem;
    const field = fieldOf(first, e.validationContext);
    return { status: 400, body: { error: { code: 'XP_ERR_BAD_REQUEST', message: describe(first, field), field } } };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: { code: 'XP_ERR_PAYLOAD_TOO_LARGE', message: 'request body is too large' } } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: { code: 'XP_ERR_BAD_REQUEST', message: 'the JSON body is empty', field: 'body' } } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: { code: 'XP_ERR_BAD_REQUEST', message: 'send the body as application/json', field: 'body' } } };
    default:
      break;
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429) {
    // The rate limiter's own answer says when to retry.
    const said = (error as { error?: { message?: unknown } }).error?.message;
    return { status, body: { error: { code: 'XP_ERR_RATE_LIMITED', message: typeof said === 'string' ? said : 'too many requests; retry later' } } };
  }
  if (status === 408) return { status, body: { error: { code: 'XP_ERR_TIMEOUT', message: 'request timed out' } } };
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, bad content type): safe to show.
    return { status, body: { error: { code: 'XP_ERR_BAD_REQUEST', message: e.message, field: 'body' } } };
  }
  return { status: 500, body: { error: { code: 'XP_ERR_INTERNAL', message: 'internal error' } } };
}

/** Installs the error and not-found handlers on an app. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const retryAfter = reply.getHeader('retry-after');
    void reply
      .code(status)
      .headers(retryAfter === undefined ? {} : { 'retry-after': retryAfter })
      .send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'XP_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } } satisfies ErrorBody);
  });
}

/**
 * Answers an error node's HTTP parser raised before fastify saw a request (a request that did
 * not arrive whole in time, headers too large, malformed HTTP), then closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, body]: [number, ErrorBody] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, { error: { code: 'XP_ERR_TIMEOUT', message: 'request timed out: the headers and body must arrive within the request timeout' } }]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, { error: { code: 'XP_ERR_BAD_REQUEST', message: 'request headers are too large', field: 'headers' } }]
        : [400, { error: { code: 'XP_ERR_BAD_REQUEST', message: 'malformed HTTP request', field: 'request' } }];
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
