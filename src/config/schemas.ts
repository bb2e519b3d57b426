// zod schemas for the files of contract §2 and §3. Every check carries the
// text "expected ..." for its field, so an issue can be shown to a human as
// `<expected>, got <what the file says>` without knowing zod's wording.
// Rules that compare two fields or two files live in rules.ts, where they can
// point at the most useful node.
import { z } from 'zod';
import { DURATION_EXPECTED, formatDuration, parseDuration } from './duration.js';
import { DNS_PROVIDERS, type AutoscalePolicy, type GtmPolicy, type RegionDef, type StackConfig } from './types.js';

/** Marks a custom issue that points at a map key and needs no `, got ...` suffix. */
export const KEY_ISSUE = 'xplane:key-issue';

const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The message of an unknown key in an object with `keys`. */
export function unknownKeyMessage(keys: readonly string[]): string {
  return `unknown key (expected one of: ${keys.join(', ')})`;
}

/** A plain object, as YAML maps come out of `toJS`. */
function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  const unknown = unknownKeyMessage(Object.keys(shape));
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? unknown : 'expected a map') });
}

function text(expected = 'expected a string') {
  return z.string({ error: expected }).min(1, { error: 'expected a non-empty string' });
}

/** Service and region names end up in file names, node names and DNS labels. */
function name() {
  const expected = 'expected a name of lowercase letters, digits and - (like svc-plus)';
  return z.string({ error: expected }).regex(NAME, { error: expected }).max(63, { error: 'expected a name of at most 63 characters (a DNS label)' });
}

function dnsName() {
  const expected = 'expected a DNS name like api.svc.plus';
  return z.string({ error: expected }).regex(DNS_NAME, { error: expected });
}

function int(min: number, max?: number) {
  const expected = max === undefined ? `expected an integer >= ${min}` : `expected an integer between ${min} and ${max}`;
  const base = z.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
  return max === undefined ? base : base.max(max, { error: expected });
}

function fraction() {
  const expected = 'expected a number between 0 and 1';
  return z.number({ error: expected }).min(0, { error: expected }).max(1, { error: expected });
}

function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: `expected one of: ${values.join(', ')}` });
}

function bool() {
  return z.boolean({ error: 'expected true or false' });
}

/** A duration; `minMs` guards values that drive timers (a 0s probe interval would spin). */
function duration(minMs = 0) {
  const expected = minMs > 0 ? `expected a duration of at least ${formatDuration(minMs)}` : DURATION_EXPECTED;
  return z.string({ error: DURATION_EXPECTED }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms < minMs) {
      ctx.issues.push({ code: 'custom', message: ms === undefined ? DURATION_EXPECTED : expected, input: value });
      return z.NEVER;
    }
    return ms;
  });
}

function stringList() {
  return z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' });
}

function mapOf<Value extends z.ZodType>(value: Value, expected = 'expected a map') {
  return z.record(z.string(), value, { error: expected });
}

const gtmRegion = strict({
  name: name(),
  weight: int(0),
  min_ready_nodes: int(0).default(1),
  fallback: bool().default(false),
});

const healthCheck = strict({
  type: oneOf(['http', 'tcp']).default('http'),
  path: z.string({ error: 'expected a URL path starting with /' }).startsWith('/', { error: 'expected a URL path starting with /' }).default('/healthz'),
  port: int(1, 65535),
  interval: duration(100).default(5_000),
  timeout: duration(10).default(2_000),
  rise: int(1).default(2),
  fall: int(1).default(3),
});

const latencyPolicy = strict({
  rtt_threshold: duration().default(300),
  rtt_factor: fraction().default(0.7),
  error_rate_threshold: fraction().default(0.05),
  error_factor: fraction().default(0.5),
});

const dnsSettings = strict({
  provider: oneOf(DNS_PROVIDERS),
  zone: dnsName(),
  ttl: int(1, 86_400).default(30),
});

const gtmGlobal = strict({
  override_hold: duration().default(30 * 60_000),
  min_change_interval: duration().default(60_000),
});

/** platform-config/gtm/<service>.yaml */
export const gtmPolicySchema: z.ZodType<GtmPolicy> = strict({
  service: name(),
  domain: dnsName(),
  regions: z.array(gtmRegion, { error: 'expected a list of regions' }).min(1, { error: 'expected a list of at least one region' }),
  health: healthCheck,
  // prefault: a missing block is parsed as {} so its fields get their defaults.
  latency: latencyPolicy.prefault({}),
  dns: dnsSettings,
  global: gtmGlobal.prefault({}),
});

const autoscaleGlobal = strict({
  cpu_window: duration(1_000),
  min_regions: int(0),
  max_regions: int(1),
  cooldown: duration(),
  scale_down_stabilization: duration().default(300_000),
  drain: duration().default(60_000),
  replace_after: duration().default(5 * 60_000),
  override_hold: duration().default(30 * 60_000),
  on_missing_metrics: oneOf(['hold', 'scale_up']).default('hold'),
  provision_timeout: duration().default(10 * 60_000),
});

const autoscaleRegion = strict({
  min_nodes: int(0),
  max_nodes: int(0),
  scale_up_cpu: fraction(),
  scale_down_cpu: fraction(),
  scale_up_step: int(1).default(1),
  scale_down_step: int(1).default(1),
});

/** platform-config/autoscale/<service>.yaml */
export const autoscalePolicySchema: z.ZodType<AutoscalePolicy> = strict({
  service: name(),
  global: autoscaleGlobal,
  regions: mapOf(autoscaleRegion, 'expected a map of region name to scaling rule'),
});

/** platform-config/regions/<region>.yaml; location and instance_type are required for aws in rules.ts. */
export const regionDefSchema: z.ZodType<RegionDef> = strict({
  name: name(),
  provider: oneOf(['aws', 'local']),
  location: text().optional(),
  instance_type: text().optional(),
  node_template: oneOf(['containerd-only', 'k3s-worker', 'k3s-master']).default('containerd-only'),
  labels: mapOf(z.string({ error: 'expected a string' }), 'expected a map of strings').default({}),
  cost_per_node_hour: z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' }).optional(),
  max_nodes: int(0).optional(),
});

const pool = strict({
  weight: int(0),
  nodes: stringList().default([]),
  excluded: stringList().default([]),
});

/** The stack config keys of xplane: the loop's two, then the program's settings (program/settings.ts checks their values). */
const XPLANE_KEYS = [
  'xplane:region',
  'xplane:pools',
  'xplane:role',
  'xplane:controlPlaneUrl',
  'xplane:ami',
  'xplane:bootstrapToken',
  'xplane:servicePorts',
  'xplane:cloudflareAccountId',
  'xplane:cloudflareZoneId',
  'xplane:stackOrganization',
  'xplane:localStateDir',
] as const;

/**
 * Pulumi's `config` map: xplane reads its own keys and leaves the rest, which
 * humans own, alone. Only a misspelt `xplane:` key is an error here, since
 * Pulumi itself checks the others.
 */
const stackConfigMap = z
  .looseObject(
    {
      // The global stack (Pulumi.global.yaml, role global) names no region; rules.ts checks which one applies.
      'xplane:region': text().optional(),
      'xplane:role': oneOf(['region', 'global'] as const).optional(),
      'xplane:pools': mapOf(pool, 'expected a map of service name to pool').default({}),
    },
    { error: 'expected a map' },
  )
  .superRefine(
    (config, ctx) => {
      for (const key of Object.keys(config)) {
        const message = key.startsWith('xplane:')
          ? unknownKeyMessage(XPLANE_KEYS)
          : /^[^:]+:.+$/.test(key)
            ? undefined
            : 'expected a key of the form <namespace>:<name>, like aws:region';
        if (message && !(XPLANE_KEYS as readonly string[]).includes(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message, input: key, params: { [KEY_ISSUE]: true } });
        }
      }
    },
    // By default zod skips refinements once a field failed; a typo must be reported alongside.
    { when: (payload) => isMap(payload.value) },
  );

/** stacks/Pulumi.<region>.yaml, reduced to what xplane reads. */
export const stackConfigSchema: z.ZodType<StackConfig> = strict({
  config: stackConfigMap,
  secretsprovider: z.unknown().optional(),
  encryptedkey: z.unknown().optional(),
  encryptionsalt: z.unknown().optional(),
  environment: z.unknown().optional(),
}).transform((file) => ({
  region: file.config['xplane:role'] === 'global' ? GLOBAL_STACK : (file.config['xplane:region'] ?? ''),
  pools: file.config['xplane:pools'],
}));

/** The name of the stack that holds what spans regions (a Cloudflare load balancer). */
export const GLOBAL_STACK = 'global';
