// Small GitOps repos on disk for the program's tests: the regions and gtm
// policies a test needs, written as the YAML a human would write.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DnsProviderName } from '../../src/config/index.js';

/** The project's own checkout, which is a working GitOps repo (contract §1). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A region file's settings. */
export interface FixtureRegion {
  name: string;
  provider: 'aws' | 'local';
  location?: string;
}

/** A gtm file's settings. */
export interface FixtureService {
  service: string;
  provider: DnsProviderName;
  regions: { name: string; weight: number; fallback?: boolean }[];
  health?: { type: 'http' | 'tcp'; interval: string; fall: number };
}

/** regions/<name>.yaml text. */
export function regionYaml(region: FixtureRegion): string {
  const cloud = region.provider === 'aws' ? `location: ${region.location ?? 'ap-northeast-1'}\ninstance_type: t3.small\n` : '';
  return `name: ${region.name}\nprovider: ${region.provider}\n${cloud}labels: { tier: general }\n`;
}

/** gtm/<service>.yaml text. */
export function gtmYaml(service: FixtureService): string {
  const health = service.health ?? { type: 'http', interval: '5s', fall: 3 };
  const regions = service.regions
    .map((r) => `  - name: ${r.name}\n    weight: ${r.weight}\n    min_ready_nodes: 1\n    fallback: ${r.fallback ?? true}\n`)
    .join('');
  return `service: ${service.service}
domain: ${service.service}.example.net
regions:
${regions}health:
  type: ${health.type}
  path: /healthz
  port: 8080
  interval: ${health.interval}
  timeout: 2s
  rise: 2
  fall: ${health.fall}
dns:
  provider: ${service.provider}
  zone: example.net
  ttl: 30
`;
}

/** Writes a repo with these regions and services to a fresh temporary directory; returns its path. */
export async function writeFixtureRepo(regions: FixtureRegion[], services: FixtureService[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'xplane-program-'));
  const files: Record<string, string> = {};
  for (const region of regions) files[`platform-config/regions/${region.name}.yaml`] = regionYaml(region);
  for (const service of services) files[`platform-config/gtm/${service.service}.yaml`] = gtmYaml(service);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
