// Structured logs with pino: JSON lines for machines, pretty lines when a
// person is watching a terminal. Logs go to stderr so that a command's own
// output on stdout (including --json) stays parseable.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Options for the root logger; everything defaults from the environment. */
export interface LogOptions {
  /** pino level; default `XPLANE_LOG_LEVEL` or `info`. */
  level?: string;
  /** Force pretty (true) or JSON (false) output; default: pretty when stderr is a TTY. */
  pretty?: boolean;
}

/** Creates the process's root logger. */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.XPLANE_LOG_LEVEL ?? 'info';
  const wantPretty = options.pretty ?? (process.stderr.isTTY === true && process.env.XPLANE_LOG_FORMAT !== 'json');
  const base = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (wantPretty) {
    // Loaded only for a person at a terminal: services and tests log JSON and need not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino(base, pretty({ destination: 2, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for unit tests of code that wants one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
