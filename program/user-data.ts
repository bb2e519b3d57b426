// The cloud-init user data that turns a fresh Debian 12 VM into an xplane
// node: install Node.js and the xplane package, write the bootstrap token to a
// root-only file, and run `xplane agent` under systemd with the node's name
// from Git (contract §3), so Git, the API and the machine agree on it.
//
// The agent's --address is where it both listens and what it registers
// (src/agent/address.ts). On EC2 the public IPv4 is NAT'd by the internet
// gateway and is not on any interface, so binding it fails. Until the agent
// can listen on one address and advertise another, a root pre-start step
// reads both IPs from the instance metadata service (IMDSv2), puts the public
// one on `lo` and DNATs the health port from the private IP to it. Route 53 /
// Cloudflare probes and the control plane then reach the agent at
// <public-ip>:<health port>, which is the address it registers.
//
// The token: the agent has no --token-file flag and --token would show in
// `ps`, so systemd hands the file to the unit as a credential and the agent
// reads it through XPLANE_BOOTSTRAP_TOKEN_FILE. The file is 0600 root; the
// agent itself runs as a DynamicUser. The token is also in the user data,
// which any process on the instance can read from IMDS: it is a bootstrap
// token (register only), and the Pulumi side keeps it a secret.
import { stringify } from 'yaml';

/** Everything the user data of one node is made from. */
export interface AgentUserDataOptions {
  /** The node name from Git, e.g. `jp-svc-plus-1`. */
  node: string;
  service: string;
  region: string;
  /** The xplane server URL the agent registers with. */
  serverUrl: string;
  /** The bootstrap token, in clear: the caller keeps the result a secret. */
  token: string;
  /** An npm package spec (name, name@version, tarball URL or git URL). */
  agentPackage: string;
  /** The gtm health port: where the agent serves /healthz. */
  healthPort: number;
  /** Region labels, passed to the agent as --label k=v. */
  labels?: Readonly<Record<string, string>>;
}

/** Where the agent's files live on the node. */
export const AGENT_PATHS = {
  token: '/etc/xplane/bootstrap-token',
  addressScript: '/usr/local/libexec/xplane-agent-address',
  addressEnv: '/run/xplane-agent.env',
  unit: '/etc/systemd/system/xplane-agent.service',
  // Debian's npm installs global packages under /usr/local.
  command: '/usr/local/bin/xplane',
} as const;

// Names go into a systemd command line unquoted; keep them to a safe alphabet.
const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
const SAFE_LABEL = /^[A-Za-z0-9._/-]+=[A-Za-z0-9._/:-]*$/;

/** The cloud-config text for one node; throws on a value that could break out of its place in it. */
export function agentUserData(options: AgentUserDataOptions): string {
  for (const [what, value] of [['node', options.node], ['service', options.service], ['region', options.region]] as const) {
    if (!SAFE_WORD.test(value)) throw new Error(`${what} "${value}" may only contain letters, digits, ".", "_" and "-"`);
  }
  checkServerUrl(options.serverUrl);
  if (options.token.trim() === '') throw new Error('the bootstrap token is empty');
  if (options.agentPackage.trim() === '') throw new Error('the agent package is empty');
  if (!Number.isInteger(options.healthPort) || options.healthPort < 1 || options.healthPort > 65535) {
    throw new Error(`health port must be 1..65535, got ${options.healthPort}`);
  }
  const labels = Object.entries(options.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const label of labels) if (!SAFE_LABEL.test(label)) throw new Error(`label "${label}" has characters that cannot go on the agent's command line`);

  const config = {
    package_update: true,
    packages: ['nodejs', 'npm', 'curl', 'nftables'],
    write_files: [
      { path: AGENT_PATHS.token, owner: 'root:root', permissions: '0600', content: `${options.token.trim()}\n` },
      { path: AGENT_PATHS.addressScript, owner: 'root:root', permissions: '0755', content: addressScript(options.healthPort) },
      { path: AGENT_PATHS.unit, owner: 'root:root', permissions: '0644', content: agentUnit(options, labels) },
    ],
    // argv lists, not shell strings: the package spec is passed as one argument as is.
    runcmd: [
      ['npm', 'install', '--global', options.agentPackage.trim()],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', 'xplane-agent.service'],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

function checkServerUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`control-plane URL "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`control-plane URL "${text}" must be http(s)`);
  // systemd would split on whitespace and expand % and $.
  if (/[\s"'\\%$]/.test(text)) throw new Error(`control-plane URL "${text}" may not contain spaces, quotes, backslashes, % or $`);
}

/** The pre-start step (runs as root): learn the public IP and make it bindable (see the header). */
function addressScript(port: number): string {
  return `#!/bin/sh
# Written by xplane (program/user-data.ts). The agent must listen on the address
# it registers, and EC2's public IP is not on any interface: put it on lo and
# DNAT the health port to it. Re-run on every start: a stop/start changes the IP.
set -eu
imds=http://169.254.169.254/latest
token=$(curl -fsS -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
get() { curl -fsS -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"; }
public=$(get public-ipv4) || { echo 'xplane: this instance has no public IPv4 address' >&2; exit 1; }
private=$(get local-ipv4)
ip address replace "$public/32" dev lo
nft -f - <<EOF
table ip xplane
delete table ip xplane
table ip xplane {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $private tcp dport ${port} dnat to $public
  }
}
EOF
printf 'XPLANE_PUBLIC_ADDRESS=%s:%s\\n' "$public" ${port} > ${AGENT_PATHS.addressEnv}
`;
}

function agentUnit(options: AgentUserDataOptions, labels: string[]): string {
  const args = [
    AGENT_PATHS.command,
    'agent',
    `--server ${options.serverUrl}`,
    `--service ${options.service}`,
    `--region ${options.region}`,
    `--name ${options.node}`,
    '--address ${XPLANE_PUBLIC_ADDRESS}',
    ...labels.map((label) => `--label ${label}`),
  ];
  return `[Unit]
Description=xplane node agent (${options.node})
Wants=network-online.target
After=network-online.target

[Service]
# "+": the address step needs root; the agent does not.
ExecStartPre=+${AGENT_PATHS.addressScript}
# "-": systemd reads the file before every command, and it only exists after the step above.
EnvironmentFile=-${AGENT_PATHS.addressEnv}
LoadCredential=bootstrap-token:${AGENT_PATHS.token}
Environment=XPLANE_BOOTSTRAP_TOKEN_FILE=%d/bootstrap-token
ExecStart=${args.join(' ')}
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
}
