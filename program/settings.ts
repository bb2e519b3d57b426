// The stack config keys the program reads, under the `xplane:` namespace.
// The control loop owns only `region` and `pools` (contract §3); the rest are
// set by humans in stacks/Pulumi.<stack>.yaml (or by the Automation API):
//
//   role                 `region` (default) or `global` (the Cloudflare load balancers)
//   region               names platform-config/regions/<region>.yaml
//   pools                <service>: {weight, nodes, excluded}
//   controlPlaneUrl      the xplane server the agents register with; required
//                        when the region has aws nodes; default
//                        http://127.0.0.1:7070 for local nodes
//   localStateDir        where the local target keeps node logs and pid files
//                        (nodes/) and DNS record files (dns/); relative to the
//                        repo root; default .xplane/local
//   bootstrapToken       (secret) the agents' bootstrap token, unless the
//                        environment has XPLANE_BOOTSTRAP_TOKEN(_FILE)
//   ami                  the image of the region's aws nodes (a self-built
//                        one, docs/nodes.md); default the newest official Debian 12
//   servicePorts         <service>: [ports] opened besides the health port
//   cloudflareAccountId  the account of pools and monitors (region stacks)
//   cloudflareZoneId     the zone of the load balancers (global stack)
//   powerdnsApiUrl       the PowerDNS HTTP API (default http://127.0.0.1:8081)
//   powerdnsServerId     its server id (default localhost)
//   powerdnsApiKey       (secret) its API key, unless the environment has
//                        XPLANE_POWERDNS_API_KEY(_FILE)
//   alidnsMonitorNodes   [{cityCode, ispCode}]: the Alibaba Cloud GTM probe
//                        locations of the monitors (global stack)
//   stackOrganization    prefix of the region stacks the global stack reads
//                        (default `organization`: the file backend's name)
//
// Nodes get their agent from the control plane (GET /v1/agent/xplane-agent.mjs),
// checked against the SHA-256 of the converging xplane's own bundle: there is
// no package to name (the former `agentPackage` is refused with that advice).
import { z } from 'zod';

/** The `xplane:` stack config besides the secret token, parsed. */
export interface StackSettings {
  role: 'region' | 'global';
  region?: string;
  /** As given; validated together with the declarations (it is the stack file's `xplane:pools`). */
  pools?: unknown;
  controlPlaneUrl?: string;
  /** As given (maybe relative); the program resolves it against the repo root. */
  localStateDir?: string;
  /** The image of the region's aws nodes, when not the official Debian 12 one. */
  ami?: string;
  servicePorts: Record<string, number[]>;
  cloudflareAccountId?: string;
  cloudflareZoneId?: string;
  /** The PowerDNS HTTP API, as given; the powerdns provider has the default. */
  powerdnsApiUrl?: string;
  /** The PowerDNS server id, as given. */
  powerdnsServerId?: string;
  /** Where Alibaba Cloud GTM monitors probe from. */
  alidnsMonitorNodes?: AlidnsMonitorNode[];
  stackOrganization: string;
}

/** One Alibaba Cloud GTM probe location (DescribeDnsGtmMonitorAvailableConfig lists them). */
export interface AlidnsMonitorNode {
  cityCode: string;
  ispCode: string;
}

/** Reads one raw config value (`pulumi.Config.get`: objects come as JSON text). */
export type ConfigGetter = (key: string) => string | undefined;

const port = z.number().int().min(1).max(65535);
const servicePortsSchema = z.record(z.string(), z.array(port));
const code = z.union([z.string().min(1), z.number().int()]).transform(String);
const monitorNodesSchema = z.array(z.strictObject({ cityCode: code, ispCode: code })).min(1);

/** Parses the non-secret `xplane:` keys; throws with the key name on a bad value. */
export function readStackSettings(get: ConfigGetter): StackSettings {
  const text = (key: string): string | undefined => {
    const value = get(key)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const role = text('role') ?? 'region';
  if (role !== 'region' && role !== 'global') throw new Error(`xplane:role must be "region" or "global", got "${role}"`);

  const settings: StackSettings = {
    role,
    servicePorts: parseJson('servicePorts', text('servicePorts'), servicePortsSchema) ?? {},
    stackOrganization: text('stackOrganization') ?? 'organization',
  };
  const region = text('region');
  if (region !== undefined) settings.region = region;
  const pools = text('pools');
  if (pools !== undefined) settings.pools = parseJson('pools', pools, z.unknown());
  const controlPlaneUrl = text('controlPlaneUrl');
  if (controlPlaneUrl !== undefined) settings.controlPlaneUrl = controlPlaneUrl;
  const localStateDir = text('localStateDir');
  if (localStateDir !== undefined) settings.localStateDir = localStateDir;
  if (text('agentPackage') !== undefined) {
    throw new Error(
      'xplane:agentPackage is no longer used: nodes fetch the agent from the control plane (GET /v1/agent/xplane-agent.mjs) and check its SHA-256; remove the key (docs/nodes.md)',
    );
  }
  const ami = text('ami');
  if (ami !== undefined) settings.ami = ami;
  const accountId = text('cloudflareAccountId');
  if (accountId !== undefined) settings.cloudflareAccountId = accountId;
  const zoneId = text('cloudflareZoneId');
  if (zoneId !== undefined) settings.cloudflareZoneId = zoneId;
  const apiUrl = text('powerdnsApiUrl');
  if (apiUrl !== undefined) settings.powerdnsApiUrl = apiUrl;
  const serverId = text('powerdnsServerId');
  if (serverId !== undefined) settings.powerdnsServerId = serverId;
  const monitorNodes = parseJson('alidnsMonitorNodes', text('alidnsMonitorNodes'), monitorNodesSchema);
  if (monitorNodes !== undefined) settings.alidnsMonitorNodes = monitorNodes;
  return settings;
}

function parseJson<T>(key: string, text: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`xplane:${key} must be YAML (a map or a list), got "${text}"`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
    throw new Error(`xplane:${key}${at}: ${issue?.message ?? 'invalid value'}`);
  }
  return parsed.data;
}

/** Where the bootstrap token comes from, first match wins. */
export interface TokenSources {
  env: Readonly<Record<string, string | undefined>>;
  readText: (path: string) => string;
}

/**
 * The bootstrap token from the converge-time environment: XPLANE_BOOTSTRAP_TOKEN,
 * else the file named by XPLANE_BOOTSTRAP_TOKEN_FILE (the spellings the server
 * and agent use, contract §5); undefined when neither is set, so the caller
 * falls back to the `xplane:bootstrapToken` secret.
 */
export function tokenFromEnvironment(sources: TokenSources): string | undefined {
  return secretFromEnvironment('XPLANE_BOOTSTRAP_TOKEN', sources);
}

/** A secret from the converge-time environment: `<variable>`, else the file named by `<variable>_FILE`; undefined when neither is set. */
export function secretFromEnvironment(variable: string, { env, readText }: TokenSources): string | undefined {
  const direct = env[variable]?.trim();
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${variable}_FILE`];
  if (file === undefined || file === '') return undefined;
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    throw new Error(`cannot read ${variable}_FILE ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text.trim() === '') throw new Error(`${variable}_FILE ${file} is empty`);
  return text.trim();
}
