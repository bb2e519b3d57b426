// The settings flags of contract §6, derived from the settings table, for the
// commands that take settings (flag parsing itself is src/flags/).
import type { ParseArgsConfig } from 'node:util';
import { formatDuration } from '../config/index.js';
import { SETTINGS, flagName, envName, loadSettings, type ResolvedSettings, type SettingKey } from '../settings/index.js';
import type { ParsedArgs } from '../flags/index.js';

export { parse, UsageError, type ParsedArgs } from '../flags/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options for every setting: `--sync-interval 5s`, `--push` / `--no-push`. */
export function settingsOptions(): Options {
  const options: Options = { config: { type: 'string' } };
  for (const [key, spec] of Object.entries(SETTINGS)) {
    if (spec.kind === 'bool') {
      options[flagName(key)] = { type: 'boolean' };
      options[`no-${flagName(key)}`] = { type: 'boolean' };
    } else {
      options[flagName(key)] = { type: 'string' };
    }
  }
  return options;
}

/** Resolves settings from parsed flags, the environment and xplane.yaml. */
export function settingsFrom(values: ParsedArgs['values'], env: NodeJS.ProcessEnv = process.env): Promise<ResolvedSettings> {
  const flags: Partial<Record<SettingKey, string | boolean>> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    const name = flagName(key);
    if (spec.kind === 'bool') {
      if (values[name] === true) flags[key] = true;
      if (values[`no-${name}`] === true) flags[key] = false;
    } else if (typeof values[name] === 'string') {
      flags[key] = values[name];
    }
  }
  const config = typeof values.config === 'string' ? values.config : undefined;
  return loadSettings(flags, env, config);
}

/** Help lines for the settings flags. */
export function settingsHelp(): string {
  const rows = Object.entries(SETTINGS).map(([key, spec]) => {
    const flag = spec.kind === 'bool' ? `--[no-]${flagName(key)}` : `--${flagName(key)} <${spec.kind === 'string' ? 'value' : spec.kind}>`;
    const fallback = spec.kind === 'duration' && typeof spec.default === 'number' ? formatDuration(spec.default) : String(spec.default);
    return `  ${flag.padEnd(30)} ${spec.help} (${envName(key)}; default ${fallback})`;
  });
  return ['Settings (flag > environment > xplane.yaml; --config <file> names the file):', ...rows].join('\n');
}
