// Errors a client or operator can act on, with stable codes. The HTTP layer
// maps each code to a status in one place (src/server/errors.ts); other
// callers (CLI, controllers) read the code and message.

/** Stable error codes shown to API clients. */
export type ErrorCode =
  | 'XP_ERR_BAD_REQUEST'
  | 'XP_ERR_UNAUTHORIZED'
  | 'XP_ERR_FORBIDDEN'
  | 'XP_ERR_NOT_FOUND'
  | 'XP_ERR_CONFLICT'
  | 'XP_ERR_PAYLOAD_TOO_LARGE'
  | 'XP_ERR_RATE_LIMITED'
  | 'XP_ERR_TIMEOUT'
  | 'XP_ERR_NOT_READY'
  | 'XP_ERR_INTERNAL';

/** An error with a stable code and, for bad input, the field at fault. */
export class XplaneError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'XplaneError';
  }
}

/** Bad input naming the field. */
export const badRequest = (field: string, message: string): XplaneError => new XplaneError('XP_ERR_BAD_REQUEST', message, field);
/** Something that does not exist. */
export const notFound = (message: string): XplaneError => new XplaneError('XP_ERR_NOT_FOUND', message);
/** A request that clashes with current state. */
export const conflict = (message: string, field?: string): XplaneError => new XplaneError('XP_ERR_CONFLICT', message, field);
/** A missing or wrong credential. */
export const unauthorized = (message: string): XplaneError => new XplaneError('XP_ERR_UNAUTHORIZED', message);
/** A valid credential that may not do this. */
export const forbidden = (message: string): XplaneError => new XplaneError('XP_ERR_FORBIDDEN', message);
/** The server cannot answer yet (no configuration in force). */
export const notReady = (message: string): XplaneError => new XplaneError('XP_ERR_NOT_READY', message);

/** The message of anything thrown: an Error's message, or the value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
