// A logger for the node agent, with no dependency: the agent ships as one
// small file (dist/agent/xplane-agent.mjs) that a node runs with Debian's own
// Node 18, so it cannot bring pino along. It writes the same JSON lines pino
// does (`{"level":30,"time":"…","pid":…,"msg":"…",…fields}`), so log shippers
// read agent and server logs alike, and short readable lines when a person
// watches a terminal.

/** The logging calls the agent makes; pino's Logger has them too, so either can be passed. */
export interface AgentLog {
  debug(fields: object, msg?: string): void;
  debug(msg: string): void;
  info(fields: object, msg?: string): void;
  info(msg: string): void;
  warn(fields: object, msg?: string): void;
  warn(msg: string): void;
  error(fields: object, msg?: string): void;
  error(msg: string): void;
}

/** pino's numeric levels. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type LevelName = Exclude<keyof typeof LEVELS, 'silent'>;

/** Options of the lite logger; everything defaults from the environment, like createLogger's. */
export interface LiteLogOptions {
  /** Default `XPLANE_LOG_LEVEL` or `info`; `silent` writes nothing. */
  level?: string;
  /** Short lines (true) or JSON (false); default: short lines when stderr is a terminal and XPLANE_LOG_FORMAT is not json. */
  pretty?: boolean;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
}

/** A logger that writes pino-shaped JSON lines (or short lines for a person) to stderr. */
export function liteLogger(options: LiteLogOptions = {}): AgentLog {
  // The level name comes from outside (options or the environment) and may be unknown.
  const levels: Readonly<Record<string, number | undefined>> = LEVELS;
  const threshold = levels[options.level ?? process.env.XPLANE_LOG_LEVEL ?? 'info'] ?? LEVELS.info;
  const pretty = options.pretty ?? (process.stderr.isTTY && process.env.XPLANE_LOG_FORMAT !== 'json');
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const at = (level: LevelName) =>
    function log(fieldsOrMsg: object | string, msg?: string): void {
      if (LEVELS[level] < threshold) return;
      const fields = typeof fieldsOrMsg === 'string' ? {} : fieldsOrMsg;
      const text = typeof fieldsOrMsg === 'string' ? fieldsOrMsg : msg;
      write(pretty ? prettyLine(level, fields, text) : jsonLine(level, fields, text));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function jsonLine(level: LevelName, fields: object, msg: string | undefined): string {
  const record: Record<string, unknown> = { level: LEVELS[level], time: new Date().toISOString(), pid: process.pid };
  for (const [key, value] of Object.entries(fields)) record[key] = key === 'err' ? errorFields(value) : value;
  if (msg !== undefined) record.msg = msg;
  return `${safeJson(record)}\n`;
}

function prettyLine(level: LevelName, fields: object, msg: string | undefined): string {
  const time = new Date().toISOString().slice(11, 23);
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : safeJson(k === 'err' ? errorFields(v) : v)}`)
    .join(' ');
  return `[${time}] ${level.toUpperCase().padEnd(5)} ${msg ?? ''}${extra === '' ? '' : `  ${extra}`}\n`;
}

// pino's err serializer: an Error's type, message and stack as plain fields.
function errorFields(value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
}

// A field that cannot be serialized (a cycle, a BigInt) must not cost the log line.
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    // Keep the line's message: a log record's msg is always a string when present.
    const msg = (value as { msg?: unknown }).msg;
    return JSON.stringify({ msg: typeof msg === 'string' ? msg : '', logError: 'a field could not be serialized' });
  }
}
