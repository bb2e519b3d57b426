// Public face of settings: the table, resolution by precedence, and loading
// xplane.yaml from disk.
import { readFile } from 'node:fs/promises';
import { resolveSettings, type ResolvedSettings } from './resolve.js';
import type { SettingKey } from './table.js';

export { SETTINGS, flagName, envName, type SettingKey, type Settings, type SettingSpec } from './table.js';
export { resolveSettings, SettingsError, type ResolvedSettings, type SettingSource, type SettingsInput } from './resolve.js';

/**
 * Loads settings for a command: `configPath` (from `--config` or
 * `XPLANE_CONFIG`) must exist when given; otherwise `./xplane.yaml` is read
 * when present.
 */
export async function loadSettings(
  flags: Partial<Record<SettingKey, string | boolean>>,
  env: Record<string, string | undefined>,
  configPath?: string,
): Promise<ResolvedSettings> {
  const path = configPath ?? env.XPLANE_CONFIG ?? 'xplane.yaml';
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const explicit = configPath !== undefined || env.XPLANE_CONFIG !== undefined;
    if (explicit || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`cannot read settings file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return resolveSettings({ flags, env, file: text === undefined ? undefined : { path, text } });
}
