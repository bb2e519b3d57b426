// Rules that a schema cannot check on one field: two fields of a file, a file
// and its name, or two files. They run on the files that passed their schema.
// Whether a region or service exists is judged by its file being present, so
// a typo inside regions/jp.yaml is reported once, not again by every file that
// names jp.
import { describeValue } from './describe-value.js';
import { formatDuration } from './duration.js';
import { valueAt, type KeyPath } from './key-path.js';
import type { AutoscalePolicy, ConfigIssue, GtmPolicy, Pool, RegionDef, StackConfig } from './types.js';
import type { YamlSource } from './yaml-source.js';
import { GLOBAL_STACK } from './schemas.js';

/** A declaration file: its name from the path, its source, and its value when it passed its schema. */
export interface ParsedFile<T> {
  /** The service (gtm, autoscale), region (regions) or stack region, from the file name. */
  name: string;
  source: YamlSource;
  value: T | undefined;
}

/** Every declaration file of a repo, valid or not. */
export interface ParsedRepo {
  gtm: ParsedFile<GtmPolicy>[];
  autoscale: ParsedFile<AutoscalePolicy>[];
  regions: ParsedFile<RegionDef>[];
  stacks: ParsedFile<StackConfig>[];
}

/** Every rule broken across the repo. */
export function ruleIssues(repo: ParsedRepo): ConfigIssue[] {
  const regionNames = new Set(repo.regions.map((f) => f.name));
  const gtmServices = new Set(repo.gtm.map((f) => f.name));
  const undeclared = undeclaredRegionMessage(regionNames);
  const issues: ConfigIssue[] = [];
  for (const file of repo.gtm) {
    if (file.value) issues.push(...gtmIssues(file.source, file.name, file.value, regionNames, undeclared));
  }
  for (const file of repo.autoscale) {
    if (file.value) issues.push(...autoscaleIssues(file.source, file.name, file.value, regionNames, gtmServices, undeclared));
  }
  for (const file of repo.regions) {
    if (file.value) issues.push(...regionIssues(file.source, file.name, file.value));
  }
  for (const file of repo.stacks) {
    if (file.value) issues.push(...stackIssues(file.source, file.name, file.value, regionNames, undeclared));
  }
  return issues;
}

/**
 * Cross-file warnings: allowed, but likely not what was meant. A gtm region with `fallback: true`
 * whose autoscale `min_nodes` is 0 can be scaled to no nodes, and then cannot be the fallback.
 */
export function ruleWarnings(repo: ParsedRepo): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const gtmByService = new Map(repo.gtm.flatMap((f) => (f.value ? [[f.value.service, f] as const] : [])));
  for (const file of repo.autoscale) {
    const policy = file.value;
    if (!policy) continue;
    const gtm = gtmByService.get(policy.service);
    for (const region of gtm?.value?.regions ?? []) {
      if (!region.fallback || policy.regions[region.name]?.min_nodes !== 0) continue;
      warnings.push(
        file.source.issue(
          ['regions', region.name, 'min_nodes'],
          'value',
          `region ${region.name} is a fallback in ${gtm?.source.file ?? 'its gtm policy'} (fallback: true) but may scale to no nodes: the autoscaler can remove its last node and it can no longer take traffic when the other regions are out; set min_nodes >= 1`,
        ),
      );
    }
  }
  return warnings;
}

function gtmIssues(source: YamlSource, fileName: string, policy: GtmPolicy, regionNames: Set<string>, undeclared: (name: string) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (policy.service !== fileName) issues.push(source.issue(['service'], 'value', fileNameMessage(fileName, policy.service)));
  const seen = new Set<string>();
  policy.regions.forEach((region, i) => {
    const path = ['regions', i, 'name'];
    if (seen.has(region.name)) issues.push(source.issue(path, 'value', `expected each region once, got "${region.name}" again`));
    else if (!regionNames.has(region.name)) issues.push(source.issue(path, 'value', undeclared(region.name)));
    seen.add(region.name);
  });
  if (policy.health.timeout > policy.health.interval) {
    const limit = formatDuration(policy.health.interval);
    issues.push(
      source.issue(
        ['health', 'timeout'],
        'value',
        `expected a duration <= health.interval (${limit}), got ${found(source, ['health', 'timeout'], formatDuration(policy.health.timeout))}`,
      ),
    );
  }
  const zone = policy.dns.zone;
  if (policy.domain !== zone && !policy.domain.endsWith(`.${zone}`)) {
    issues.push(source.issue(['domain'], 'value', `expected a name within dns.zone (${zone} or *.${zone}), got "${policy.domain}"`));
  }
  return issues;
}

function autoscaleIssues(
  source: YamlSource,
  fileName: string,
  policy: AutoscalePolicy,
  regionNames: Set<string>,
  gtmServices: Set<string>,
  undeclared: (name: string) => string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (policy.service !== fileName) issues.push(source.issue(['service'], 'value', fileNameMessage(fileName, policy.service)));
  if (!gtmServices.has(policy.service)) {
    issues.push(source.issue(['service'], 'value', `expected a service with a gtm policy in platform-config/gtm/, got "${policy.service}"`));
  }
  const { min_regions: minRegions, max_regions: maxRegions } = policy.global;
  if (minRegions > maxRegions) {
    issues.push(source.issue(['global', 'min_regions'], 'value', `expected an integer <= max_regions (${maxRegions}), got ${minRegions}`));
  }
  for (const [name, region] of Object.entries(policy.regions)) {
    if (!regionNames.has(name)) issues.push(source.issue(['regions', name], 'key', undeclared(name)));
    if (region.min_nodes > region.max_nodes) {
      issues.push(source.issue(['regions', name, 'min_nodes'], 'value', `expected an integer <= max_nodes (${region.max_nodes}), got ${region.min_nodes}`));
    }
    if (region.scale_down_cpu >= region.scale_up_cpu) {
      issues.push(
        source.issue(
          ['regions', name, 'scale_down_cpu'],
          'value',
          `expected a number below scale_up_cpu (${region.scale_up_cpu}), got ${region.scale_down_cpu}`,
        ),
      );
    }
  }
  return issues;
}

function regionIssues(source: YamlSource, fileName: string, region: RegionDef): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (region.name !== fileName) issues.push(source.issue(['name'], 'value', fileNameMessage(fileName, region.name)));
  if (region.provider === 'aws') {
    // A cloud VM cannot be made without them; a local node needs neither.
    for (const key of ['location', 'instance_type'] as const) {
      if (region[key] === undefined) issues.push(source.issue([key], 'parent', 'required key is missing when provider is aws'));
    }
  }
  return issues;
}

function stackIssues(
  source: YamlSource,
  fileRegion: string,
  stack: StackConfig,
  regionNames: Set<string>,
  undeclared: (name: string) => string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const regionPath = ['config', 'xplane:region'];
  if (fileRegion === GLOBAL_STACK || stack.region === GLOBAL_STACK) {
    if (fileRegion !== GLOBAL_STACK)
      issues.push(source.issue(['config', 'xplane:role'], 'value', `expected role global only in stacks/Pulumi.${GLOBAL_STACK}.yaml`));
    else if (stack.region !== GLOBAL_STACK) issues.push(source.issue(['config'], 'value', 'expected xplane:role: global in the global stack'));
    else if (Object.keys(stack.pools).length > 0)
      issues.push(source.issue(['config', 'xplane:pools'], 'value', 'expected no pools in the global stack: pools live in region stacks'));
    return issues;
  }
  if (stack.region === '') {
    issues.push(source.issue(regionPath, 'parent', 'required key is missing'));
    return issues;
  }
  if (stack.region !== fileRegion) {
    issues.push(source.issue(regionPath, 'value', `expected "${fileRegion}" (from the file name Pulumi.${fileRegion}.yaml), got "${stack.region}"`));
  }
  if (!regionNames.has(stack.region)) issues.push(source.issue(regionPath, 'value', undeclared(stack.region)));
  for (const [service, pool] of Object.entries(stack.pools)) {
    issues.push(...poolIssues(source, ['config', 'xplane:pools', service], fileRegion, service, pool));
  }
  return issues;
}

function poolIssues(source: YamlSource, path: KeyPath, region: string, service: string, pool: Pool): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pattern = new RegExp(`^${escapeRegExp(`${region}-${service}-`)}[1-9][0-9]*$`);
  const members = new Set<string>();
  pool.nodes.forEach((node, i) => {
    const at = [...path, 'nodes', i];
    if (!pattern.test(node)) {
      issues.push(source.issue(at, 'value', `expected a node name like ${region}-${service}-<n> (n = 1, 2, ...), got "${node}"`));
    } else if (members.has(node)) {
      issues.push(source.issue(at, 'value', `expected each node once, got "${node}" again`));
    }
    members.add(node);
  });
  const excluded = new Set<string>();
  pool.excluded.forEach((node, i) => {
    const at = [...path, 'excluded', i];
    if (!members.has(node)) issues.push(source.issue(at, 'value', `expected one of the pool's nodes, got "${node}"`));
    else if (excluded.has(node)) issues.push(source.issue(at, 'value', `expected each node once, got "${node}" again`));
    excluded.add(node);
  });
  return issues;
}

function fileNameMessage(fileName: string, declared: string): string {
  return `expected "${fileName}" (the file name), got "${declared}"`;
}

function undeclaredRegionMessage(regionNames: Set<string>): (name: string) => string {
  const known = regionNames.size === 0 ? 'there are none' : [...regionNames].sort().join(', ');
  return (name) => `expected a region with a file in platform-config/regions/ (${known}), got "${name}"`;
}

/** What the file says at `path`, or the default that applied there. */
function found(source: YamlSource, path: KeyPath, fallback: string): string {
  const raw = valueAt(source.value, path);
  return raw.found ? describeValue(raw.value) : `${fallback} (the default)`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
