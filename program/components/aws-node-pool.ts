// The EC2 side of one service in one region: a security group for the health
// and service ports, and one instance per node name from Git, each booting
// the xplane agent under that name (user-data.ts).
//
// Instances ignore later changes to `ami` and `userData`. The AMI lookup is
// "most recent", so without that every new Debian image would replace every
// node of every region in one converge; and a user-data change (a rotated
// token, a new agent version and its checksum) is applied by the provider as a
// stop/start of every node at once. Nodes are cattle with names that only grow (contract
// §3): new settings reach the fleet as the autoscaler adds and replaces nodes.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { agentUserData } from '../user-data.js';

/** Debian's AWS account, which publishes the official Debian AMIs. */
export const DEBIAN_AMI_OWNER = '136693071363';

/** Looks up the most recent official Debian 12 amd64 AMI in `location`. */
export function debianAmi(location: string, opts?: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  return aws.ec2
    .getAmiOutput(
      {
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        filters: [
          { name: 'name', values: ['debian-12-amd64-*'] },
          { name: 'architecture', values: ['x86_64'] },
        ],
        region: location,
      },
      opts,
    )
    .apply((ami) => ami.id);
}

/** Settings of one service's nodes in one region. */
export interface AwsNodePoolArgs {
  service: string;
  region: string;
  /** The AWS region id (regions/<region>.yaml `location`). */
  location: string;
  instanceType: string;
  ami: pulumi.Input<string>;
  /** Node names from Git, one instance each. */
  nodes: string[];
  /** The gtm health port: the agent's /healthz, probed by DNS health checks and the control plane. */
  healthPort: number;
  /** Further ports the service answers on, opened to the world like the health port. */
  servicePorts?: number[];
  controlPlaneUrl: string;
  /** The agent's bootstrap token; should be a Pulumi secret, and the user data is made one regardless. */
  bootstrapToken: pulumi.Input<string>;
  /** SHA-256 (hex) of the one-file agent the nodes fetch from the control plane (agent-bundle.ts). */
  agentSha256: string;
  labels?: Record<string, string>;
  /** Extra tags for every resource. */
  tags?: Record<string, string>;
}

/** A service's EC2 instances in one region and their security group. */
export class AwsNodePool extends pulumi.ComponentResource {
  /** The security group of the nodes. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Public IPv4 address by node name. */
  public readonly publicIps: Record<string, pulumi.Output<string>>;
  /** Instance id by node name. */
  public readonly instanceIds: Record<string, pulumi.Output<string>>;
  /** The (secret) user data by node name, for inspection in tests. */
  public readonly userData: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AwsNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('xplane:aws:NodePool', name, {}, opts);
    const baseTags = { 'xplane:service': args.service, 'xplane:region': args.region, ...(args.tags ?? {}) };
    const ports = [...new Set([args.healthPort, ...(args.servicePorts ?? [])])].sort((a, b) => a - b);

    const group = new aws.ec2.SecurityGroup(
      `${name}-nodes`,
      {
        region: args.location,
        description: `xplane ${args.service} nodes in ${args.region}: health and service ports`,
        // The health port is open to the world: Route 53's checkers and the control plane both probe it.
        ingress: ports.map((port) => ({
          protocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrBlocks: ['0.0.0.0/0'],
          description: port === args.healthPort ? 'xplane health' : 'service',
        })),
        // An explicit rule is needed: Pulumi/Terraform removes AWS's default allow-all egress. Nodes need it for packages and the control plane.
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'all' }],
        tags: { ...baseTags, Name: `xplane-${args.service}-${args.region}` },
      },
      { parent: this },
    );

    this.publicIps = {};
    this.instanceIds = {};
    this.userData = {};
    for (const node of args.nodes) {
      const userData = pulumi.secret(
        pulumi.output(args.bootstrapToken).apply((token) =>
          agentUserData({
            node,
            service: args.service,
            region: args.region,
            serverUrl: args.controlPlaneUrl,
            token,
            agentSha256: args.agentSha256,
            healthPort: args.healthPort,
            ...(args.labels === undefined ? {} : { labels: args.labels }),
          }),
        ),
      );
      const instance = new aws.ec2.Instance(
        node,
        {
          region: args.location,
          ami: args.ami,
          instanceType: args.instanceType,
          vpcSecurityGroupIds: [group.id],
          associatePublicIpAddress: true,
          // IMDSv2 only, one hop: containers on the node cannot read the metadata (and the token in the user data).
          metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
          userData,
          tags: { ...baseTags, Name: node, 'xplane:node': node },
        },
        { parent: this, ignoreChanges: ['ami', 'userData'], additionalSecretOutputs: ['userData'] },
      );
      this.publicIps[node] = instance.publicIp;
      this.instanceIds[node] = instance.id;
      this.userData[node] = userData;
    }
    this.securityGroupId = group.id;
    this.registerOutputs({ securityGroupId: this.securityGroupId, publicIps: this.publicIps, instanceIds: this.instanceIds });
  }
}
