// Flag parsing shared by every command (and the one-file agent): node's own
// parseArgs, with its errors turned into usage errors. Light on purpose:
// commands that take no settings (validate, agent) import this and not the
// settings machinery.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  /** Stable code for callers. */
  readonly code = 'XP_ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv against `options`, turning parseArgs' errors into a UsageError. */
export function parse(argv: string[], options: Options, allowPositionals: boolean): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
