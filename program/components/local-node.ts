// The `local` machine target: each node of a `local` region is an agent
// process (the one-file agent aws nodes run, with --simulate-load) on this machine, listening on its own
// loopback address (local-addresses.ts), started detached so it outlives the
// converge. The work happens in program/local/node-provider.cjs (see
// delegating-provider.ts for why); this file declares the resources.
//
// Like aws nodes, a running process is not restarted for settings that only
// matter at start (the token, the control-plane URL): nodes are cattle, and
// new settings reach them as nodes are added and replaced. A new name,
// address, service or region replaces the process.
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { packageRoot } from '../../src/package/index.js';
import { delegatingProvider } from './delegating-provider.js';

/** The xplane package this program belongs to: its dist/agent/xplane-agent.mjs runs the agents. */
export const XPLANE_ROOT = packageRoot();

/** The LocalNode provider's implementation, loaded by absolute path in Pulumi's plugin process. */
export const NODE_PROVIDER = join(XPLANE_ROOT, 'program', 'local', 'node-provider.cjs');

/** One local node's settings. */
export interface LocalNodeArgs {
  service: string;
  region: string;
  /** `127.R.S.N:<health port>`. */
  address: string;
  /** The control plane the agent registers with. */
  server: string;
  /** The agent's bootstrap token; made a secret input regardless of how it comes. */
  bootstrapToken: pulumi.Input<string>;
  /** Where the node's log and pid file go (`<stateDir>/nodes/`). */
  stateDir: string;
  /** The package whose dist/agent/xplane-agent.mjs runs the agent; default this one. */
  xplaneRoot?: string;
}

/** One agent process (the one-file xplane-agent.mjs, --simulate-load); the resource name is the node name. */
export class LocalNode extends pulumi.dynamic.Resource {
  /** The node name the agent registers under. */
  declare public readonly name: pulumi.Output<string>;
  /** `ip:port` the agent listens on. */
  declare public readonly address: pulumi.Output<string>;
  /** The agent's process id. */
  declare public readonly pid: pulumi.Output<number>;

  constructor(name: string, args: LocalNodeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      delegatingProvider,
      name,
      {
        implementation: NODE_PROVIDER,
        name,
        service: args.service,
        region: args.region,
        address: args.address,
        server: args.server,
        token: pulumi.secret(args.bootstrapToken),
        stateDir: args.stateDir,
        xplaneRoot: args.xplaneRoot ?? XPLANE_ROOT,
        pid: undefined,
      },
      opts,
      'xplane',
      'LocalNode',
    );
  }
}

/** Settings of one service's local nodes in one region. */
export interface LocalNodePoolArgs extends Omit<LocalNodeArgs, 'address'> {
  /** Node name → `ip:port`. */
  addresses: Record<string, string>;
}

/** A service's local nodes in one region. */
export class LocalNodePool extends pulumi.ComponentResource {
  /** Listen address (`ip:port`) by node name. */
  public readonly addresses: Record<string, pulumi.Output<string>>;
  /** Loopback IP by node name, from the running node: a DNS record waits for its node. */
  public readonly ips: Record<string, pulumi.Output<string>>;
  /** Process id by node name. */
  public readonly pids: Record<string, pulumi.Output<number>>;

  constructor(name: string, args: LocalNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:local:NodePool', name, {}, opts);
    const { addresses, ...shared } = args;
    this.addresses = {};
    this.ips = {};
    this.pids = {};
    for (const [node, address] of Object.entries(addresses)) {
      const agent = new LocalNode(node, { ...shared, address }, { parent: this });
      this.addresses[node] = agent.address;
      this.ips[node] = agent.address.apply((a) => a.slice(0, a.lastIndexOf(':')));
      this.pids[node] = agent.pid;
    }
    this.registerOutputs({ addresses: this.addresses, pids: this.pids });
  }
}
