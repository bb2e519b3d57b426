// Structured logs: JSON lines for machines, pretty lines when a person is
// watching a terminal, on stderr so that a command's own output on stdout
// (including --json) stays parseable. The control plane logs with pino; the
// node agent with the dependency-free lite logger (lite.ts), as it ships as one
// small file. pino is loaded only when a pino logger is made, so importing this
// face costs the agent nothing.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export type { Logger } from 'pino';
export { liteLogger, type AgentLog, type LiteLogOptions } from './lite.js';

const load = createRequire(import.meta.url);

/** pino itself, loaded on first use. */
function pinoModule(): typeof import('pino') {
  return load('pino') as typeof import('pino');
}

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
  const wantPretty = options.pretty ?? (process.stderr.isTTY && process.env.XPLANE_LOG_FORMAT !== 'json');
  const { pino } = pinoModule();
  const base = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (wantPretty) {
    // Loaded only for a person at a terminal: services and tests log JSON and need not pay for it.
    const pretty = load('pino-pretty') as typeof import('pino-pretty');
    return pino(base, pretty({ destination: 2, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for unit tests of code that wants one. */
export function silentLogger(): Logger {
  return pinoModule().pino({ level: 'silent' });
}
