// A region stack (stacks/Pulumi.<region>.yaml): per service in `xplane:pools`,
// its nodes (EC2 VMs for an aws region, agent processes on this machine for a
// `local` one) and this region's part of its DNS, with the DNS provider's own
// health checks (contract §8). region-plan.ts decides; this file only turns
// the decision into components and outputs.
//
// Outputs, read by humans, by the global stack (global-stack.ts) and by tests:
//   region    the region name
//   services  <service>: { provider, domain, weight, nodes: [{name, ip, address + pid (local)}], excluded,
//             and what its DNS provider exports (dns/types.ts DnsOutputs): records + healthChecks
//             (route53, by node) | poolId + monitorId (cloudflare) | powerdnsRecords | recordFile (local) }
import * as pulumi from '@pulumi/pulumi';
import type { Declarations, Pool, RegionDef } from '../src/config/index.js';
import { agentBundle } from './agent-bundle.js';
import { AwsNodePool, debianAmi, type AwsNodePoolArgs } from './components/aws-node-pool.js';
import { LocalNodePool } from './components/local-node.js';
import { dnsProvider, type DnsCredentials, type DnsOutputs } from './dns/index.js';
import { localNodeAddress } from './local-addresses.js';
import { needsAgent, planRegion } from './region-plan.js';
import type { StackSettings } from './settings.js';

/** What a region stack is built from. */
export interface RegionStackArgs {
  declarations: Pick<Declarations, 'gtm' | 'regions'>;
  region: string;
  /** The validated `xplane:pools`. */
  pools: Readonly<Record<string, Pool>>;
  settings: StackSettings;
  /** The agents' bootstrap token; required when the region has nodes. */
  bootstrapToken?: pulumi.Input<string>;
  /** Absolute directory of the local target's node logs, pid files and DNS record files. */
  localStateDir: string;
  /** Unix time of the commit being converged: the embedded DNS's SOA serial. */
  commitTime?: number;
  /** Where DNS providers find their credentials; default none (no environment, no secrets). */
  credentials?: DnsCredentials;
}

/** The control plane local agents register with when `xplane:controlPlaneUrl` is not set: `xplane serve`'s default. */
export const LOCAL_CONTROL_PLANE_URL = 'http://127.0.0.1:7070';

/** One node in the outputs; `ip` is absent where the program made no node. */
export interface NodeOutput {
  name: string;
  ip?: pulumi.Output<string>;
  /** Local nodes: `ip:port` the agent listens on. */
  address?: pulumi.Output<string>;
  /** Local nodes: the agent's process id. */
  pid?: pulumi.Output<number>;
}

/** One service in the outputs: its nodes, and what its DNS provider exports. */
export interface ServiceOutput extends DnsOutputs {
  /** The gtm DNS provider. */
  provider: string;
  domain: string;
  /** The region's effective weight from the stack config. */
  weight: number;
  nodes: NodeOutput[];
  excluded: string[];
}

/** The outputs of a region stack. */
export interface RegionStackOutputs {
  region: string;
  services: Record<string, ServiceOutput>;
}

/** Declares a region stack's resources and returns its outputs; throws a plain message on a configuration mistake. */
export function regionStack(args: RegionStackArgs): RegionStackOutputs {
  const plan = planRegion(args.declarations, args.region, args.pools, dnsProvider);
  const credentials = args.credentials ?? NO_CREDENTIALS;
  for (const note of plan.notes) void pulumi.log.info(note);

  const machines = needsAgent(plan, 'aws') ? awsSettings(args, plan.region) : undefined;
  const local = needsAgent(plan, 'local') ? localSettings(args) : undefined;
  const regionNames = Object.keys(args.declarations.regions);
  const serviceNames = Object.keys(args.declarations.gtm);

  const services: Record<string, ServiceOutput> = {};
  for (const service of plan.services) {
    const ips: Record<string, pulumi.Output<string>> = {};
    const extra: Record<string, Pick<NodeOutput, 'address' | 'pid'>> = {};
    if (service.machines === 'aws' && service.nodes.length > 0 && machines) {
      const pool = new AwsNodePool(service.service, {
        ...machines,
        service: service.service,
        region: args.region,
        nodes: service.nodes,
        healthPort: service.health.port,
        servicePorts: args.settings.servicePorts[service.service] ?? [],
        labels: plan.region.labels,
      });
      Object.assign(ips, pool.publicIps);
    }
    if (service.machines === 'local' && service.nodes.length > 0 && local) {
      const at = (node: string): string =>
        localNodeAddress({ regions: regionNames, services: serviceNames, region: args.region, service: service.service, node }, service.health.port);
      const pool = new LocalNodePool(service.service, {
        ...local,
        service: service.service,
        region: args.region,
        addresses: Object.fromEntries(service.nodes.map((node) => [node, at(node)])),
      });
      Object.assign(ips, pool.ips);
      for (const node of service.nodes) {
        const address = pool.addresses[node];
        const pid = pool.pids[node];
        if (address && pid) extra[node] = { address, pid };
      }
    }
    services[service.service] = {
      provider: service.dns.provider,
      domain: service.domain,
      weight: service.weight,
      nodes: service.nodes.map((name) => (ips[name] === undefined ? { name } : { name, ip: ips[name], ...extra[name] })),
      excluded: service.excluded,
      ...(service.dnsTarget === 'none'
        ? {}
        : dnsProvider(service.dnsTarget).region({
            region: args.region,
            service,
            nodes: service.dnsNodes.flatMap((name) => (ips[name] === undefined ? [] : [{ name, ip: ips[name] }])),
            settings: args.settings,
            credentials,
            localStateDir: args.localStateDir,
            ...(args.commitTime === undefined ? {} : { commitTime: args.commitTime }),
          })),
    };
  }
  return { region: args.region, services };
}

/** Credentials for a caller that gives none: providers that need some then say which setting is missing. */
const NO_CREDENTIALS: DnsCredentials = {
  env: {},
  secret: () => undefined,
  readText: (path) => {
    throw new Error(`cannot read ${path}: no files here`);
  },
};

/** What every LocalNodePool of the region shares. */
type LocalSettings = { server: string; bootstrapToken: pulumi.Input<string>; stateDir: string };

function localSettings(args: RegionStackArgs): LocalSettings {
  if (args.bootstrapToken === undefined) {
    throw new Error(
      `region ${args.region} has local nodes, which need the bootstrap token of the control plane they register with (XPLANE_BOOTSTRAP_TOKEN or XPLANE_BOOTSTRAP_TOKEN_FILE at converge time, or the secret xplane:bootstrapToken)`,
    );
  }
  return { server: args.settings.controlPlaneUrl ?? LOCAL_CONTROL_PLANE_URL, bootstrapToken: args.bootstrapToken, stateDir: args.localStateDir };
}

/** What every AwsNodePool of the region shares. */
type AwsSettings = Pick<AwsNodePoolArgs, 'location' | 'instanceType' | 'ami' | 'controlPlaneUrl' | 'agentSha256' | 'bootstrapToken'>;

function awsSettings(args: RegionStackArgs, region: RegionDef): AwsSettings {
  const missing: string[] = [];
  const { controlPlaneUrl } = args.settings;
  if (controlPlaneUrl === undefined) missing.push('xplane:controlPlaneUrl (the xplane server URL the agents register with and fetch the agent from)');
  if (args.bootstrapToken === undefined)
    missing.push('the bootstrap token (XPLANE_BOOTSTRAP_TOKEN or XPLANE_BOOTSTRAP_TOKEN_FILE at converge time, or the secret xplane:bootstrapToken)');
  if (controlPlaneUrl === undefined || args.bootstrapToken === undefined) {
    throw new Error(`region ${args.region} has aws nodes, which need:\n  ${missing.join('\n  ')}`);
  }
  const location = required(region.location, `regions/${args.region}.yaml: location`);
  return {
    location,
    instanceType: required(region.instance_type, `regions/${args.region}.yaml: instance_type`),
    // One image for the whole region: a self-built one when the stack names it, else one lookup of Debian's.
    ami: args.settings.ami ?? debianAmi(location),
    controlPlaneUrl,
    // The agent of the xplane that converges: the node fetches it from the control plane and checks it.
    agentSha256: agentBundle().sha256,
    bootstrapToken: args.bootstrapToken,
  };
}

function required<T>(value: T | undefined, what: string): T {
  // The declaration rules already require these for aws regions; this guards a caller that skipped them.
  if (value === undefined) throw new Error(`${what} is required when provider is aws`);
  return value;
}
