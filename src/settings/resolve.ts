// Resolves settings from flags, then XPLANE_* environment variables, then
// xplane.yaml, then defaults (contract §6). Pure: the caller reads the file
// and hands over the text, so precedence is table-tested without IO.
import { LineCounter, parseDocument, isMap, isScalar } from 'yaml';
import { parseDuration } from '../config/index.js';
import { SETTINGS, envName, flagName, type SettingKey, type SettingSpec, type Settings } from './table.js';

/** Where a resolved value came from. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** Inputs to resolution, by spelling. */
export interface SettingsInput {
  /** Parsed flags keyed by setting key (`sync_interval`), strings or booleans. */
  flags: Partial<Record<SettingKey, string | boolean>>;
  env: Record<string, string | undefined>;
  /** The xplane.yaml text and its path for error messages, if there is one. */
  file?: { path: string; text: string };
}

/** Resolved settings with the source of each value. */
export interface ResolvedSettings {
  settings: Settings;
  sources: Record<SettingKey, SettingSource>;
}

/** Bad settings: every problem found, each naming its spelling. */
export class SettingsError extends Error {
  /** Stable code for callers and the API. */
  readonly code = 'XP_ERR_SETTINGS';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SettingsError';
  }
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];

function convert(spec: SettingSpec, raw: unknown): { value: string | number | boolean } | { error: string } {
  const got = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
  switch (spec.kind) {
    case 'string':
      if (typeof raw === 'string' && raw !== '') return { value: raw };
      if (typeof raw === 'number') return { value: String(raw) };
      return { error: `expected a non-empty string, got ${got}` };
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      if (typeof raw === 'string' && /^(true|1|yes|on)$/i.test(raw)) return { value: true };
      if (typeof raw === 'string' && /^(false|0|no|off)$/i.test(raw)) return { value: false };
      return { error: `expected true or false, got ${got}` };
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < 1) return { error: `expected a whole number >= 1, got ${got}` };
      return { value: n };
    }
    case 'ratio': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^(0|1|0?\.[0-9]+|1\.0*)$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!(n > 0 && n <= 1)) return { error: `expected a number above 0 and at most 1, like 0.5, got ${got}` };
      return { value: n };
    }
    case 'duration': {
      if (typeof raw !== 'string') return { error: `expected a duration like 500ms, 5s, 1m or 2h, got ${got}` };
      const ms = parseDuration(raw);
      if (ms === undefined || ms <= 0) return { error: `expected a duration like 500ms, 5s, 1m or 2h, got ${got}` };
      return { value: ms };
    }
  }
}

function readFile(file: { path: string; text: string }, problems: string[]): Map<SettingKey, unknown> {
  const values = new Map<SettingKey, unknown>();
  const counter = new LineCounter();
  const doc = parseDocument(file.text, { lineCounter: counter, uniqueKeys: true });
  const where = (offset: number | undefined): string => {
    const pos = counter.linePos(offset ?? 0);
    return `${file.path}:${pos.line}:${pos.col}`;
  };
  for (const err of doc.errors) problems.push(`${where(err.pos[0])} ${err.message.split('\n')[0]}`);
  if (doc.errors.length > 0 || doc.contents === null) return values;
  if (!isMap(doc.contents)) {
    problems.push(`${where(doc.contents.range[0])} expected a map of settings`);
    return values;
  }
  for (const pair of doc.contents.items) {
    const keyNode = isScalar(pair.key) ? pair.key : null;
    // A parsed YAML scalar is a string, number, boolean or null, each of which String spells as written.
    const keyValue = (keyNode?.value ?? '') as string | number | boolean;
    const key = String(keyValue);
    if (!(key in SETTINGS)) {
      problems.push(`${where(keyNode?.range[0])} ${key}: unknown setting (expected one of: ${KEYS.join(', ')})`);
      continue;
    }
    if (!isScalar(pair.value)) {
      problems.push(`${where(keyNode?.range[0])} ${key}: expected a single value, got ${pair.value === null ? 'nothing' : 'a map or list'}`);
      continue;
    }
    const raw = pair.value.value;
    const converted = convert(SETTINGS[key as SettingKey], raw);
    if ('error' in converted) problems.push(`${where(pair.value.range[0])} ${key}: ${converted.error}`);
    values.set(key as SettingKey, raw);
  }
  return values;
}

/** Resolves every setting by precedence: flag > environment > xplane.yaml > default. */
export function resolveSettings(input: SettingsInput): ResolvedSettings {
  const problems: string[] = [];
  const fromFile = input.file ? readFile(input.file, problems) : new Map<SettingKey, unknown>();
  const settings: Record<string, string | number | boolean> = {};
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const key of KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    const candidates: [SettingSource, string, unknown][] = [
      ['flag', `--${flagName(key)}`, input.flags[key]],
      ['env', envName(key), input.env[envName(key)]],
      ['file', `${input.file?.path ?? 'xplane.yaml'} ${key}`, fromFile.get(key)],
    ];
    const chosen = candidates.find(([, , raw]) => raw !== undefined);
    if (!chosen) {
      settings[key] = spec.default;
      sources[key] = 'default';
      continue;
    }
    const [source, spelling, raw] = chosen;
    const converted = convert(spec, raw);
    if ('error' in converted) {
      // File problems were reported with their position already.
      if (source !== 'file') problems.push(`${spelling}: ${converted.error}`);
      continue;
    }
    settings[key] = converted.value;
    sources[key] = source;
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return { settings: settings as Settings, sources };
}
