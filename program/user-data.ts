// The cloud-init user data that turns a fresh Debian 12 VM into an xplane
// node. Nothing but the control plane's URL is needed to get the agent: the
// node fetches the one-file agent from GET /v1/agent/xplane-agent.mjs and runs
// it with the distribution's own Node.js (>= 18) under systemd, with the node's
// name from Git (contract §3), so Git, the API and the machine agree on it.
//
// What the node trusts, and why (docs/nodes.md): the control-plane URL, and
// the agent's SHA-256, rendered here at converge time from the bundle of the
// xplane that converges (program/agent-bundle.ts). The fetch step refuses any
// other file, so a man in the middle of a plain-http URL, or a control plane
// of another version, cannot make the node run its code; the node keeps
// retrying (the unit restarts) until the control plane serves the right one.
// A self-built image that already carries the agent at that checksum never
// fetches it.
//
// Packages: only what is missing is installed (Node.js, curl, ip, nft), so an
// image that has them boots without touching a mirror.
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
// The token: --token would show in `ps`, so systemd hands the root-only file
// to the unit as a credential and the agent reads it through
// XPLANE_BOOTSTRAP_TOKEN_FILE; the agent itself runs as a DynamicUser. The
// token is also in the user data, which any process on the instance can read
// from IMDS: it is a bootstrap token (register only), and the Pulumi side
// keeps it a secret.
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
  /** SHA-256 (hex) of the agent the node must run: the bundle of the converging xplane (agent-bundle.ts). */
  agentSha256: string;
  /** The gtm health port: where the agent serves /healthz. */
  healthPort: number;
  /** Region labels, passed to the agent as --label k=v. */
  labels?: Readonly<Record<string, string>>;
}

/** Where the agent's files live on the node. */
export const AGENT_PATHS = {
  token: '/etc/xplane/bootstrap-token',
  prepareScript: '/usr/local/libexec/xplane-node-prepare',
  addressScript: '/usr/local/libexec/xplane-agent-address',
  fetchScript: '/usr/local/libexec/xplane-agent-fetch',
  addressEnv: '/run/xplane-agent.env',
  unit: '/etc/systemd/system/xplane-agent.service',
  agent: '/usr/local/lib/xplane/xplane-agent.mjs',
  node: '/usr/bin/node',
} as const;

/** The route the control plane serves the agent on (contract §5). */
export const AGENT_URL_PATH = '/v1/agent/xplane-agent.mjs';

/** EC2 takes at most this many bytes of user data. */
export const USER_DATA_LIMIT = 16 * 1024;

// Names go into a systemd command line unquoted; keep them to a safe alphabet.
const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
const SAFE_LABEL = /^[A-Za-z0-9._/-]+=[A-Za-z0-9._/:-]*$/;

/** The cloud-config text for one node; throws on a value that could break out of its place in it. */
export function agentUserData(options: AgentUserDataOptions): string {
  for (const [what, value] of [
    ['node', options.node],
    ['service', options.service],
    ['region', options.region],
  ] as const) {
    if (!SAFE_WORD.test(value)) throw new Error(`${what} "${value}" may only contain letters, digits, ".", "_" and "-"`);
  }
  checkServerUrl(options.serverUrl);
  if (options.token.trim() === '') throw new Error('the bootstrap token is empty');
  if (!/^[0-9a-f]{64}$/.test(options.agentSha256)) throw new Error(`the agent's SHA-256 must be 64 lowercase hex digits, got "${options.agentSha256}"`);
  if (!Number.isInteger(options.healthPort) || options.healthPort < 1 || options.healthPort > 65535) {
    throw new Error(`health port must be 1..65535, got ${options.healthPort}`);
  }
  const labels = Object.entries(options.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const label of labels) if (!SAFE_LABEL.test(label)) throw new Error(`label "${label}" has characters that cannot go on the agent's command line`);
  const agentUrl = `${options.serverUrl.replace(/\/+$/, '')}${AGENT_URL_PATH}`;

  const config = {
    write_files: [
      { path: AGENT_PATHS.token, owner: 'root:root', permissions: '0600', content: `${options.token.trim()}\n` },
      { path: AGENT_PATHS.prepareScript, owner: 'root:root', permissions: '0755', content: PREPARE_SCRIPT },
      { path: AGENT_PATHS.addressScript, owner: 'root:root', permissions: '0755', content: addressScript(options.healthPort) },
      { path: AGENT_PATHS.fetchScript, owner: 'root:root', permissions: '0755', content: fetchScript(agentUrl, options.agentSha256) },
      { path: AGENT_PATHS.unit, owner: 'root:root', permissions: '0644', content: agentUnit(options, labels) },
    ],
    // argv lists, not shell strings.
    // --no-block: a first start that fails (the control plane not answering yet) is the unit's to
    // retry, not a cloud-init error; systemd keeps starting it every RestartSec.
    runcmd: [[AGENT_PATHS.prepareScript], ['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', '--no-block', 'xplane-agent.service']],
  };
  const text = `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
  if (Buffer.byteLength(text) > USER_DATA_LIMIT)
    throw new Error(`the user data of ${options.node} is ${Buffer.byteLength(text)} bytes, over EC2's ${USER_DATA_LIMIT}`);
  return text;
}

// Installs only what the image lacks, so a prepared image boots offline; refuses a Node.js
// too old for the agent rather than letting the unit fail over and over.
const PREPARE_SCRIPT = `#!/bin/sh
# Written by xplane (program/user-data.ts): installs what the agent needs and the image lacks.
set -eu
missing=
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v nft >/dev/null 2>&1 || missing="$missing nftables"
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
fi
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] || { echo "xplane: the agent needs Node.js >= 18, this image has $(node --version)" >&2; exit 1; }
`;

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

/** The fetch step (root, before every start): the agent at the rendered checksum, or nothing. */
function fetchScript(url: string, sha256: string): string {
  return `#!/bin/sh
# Written by xplane (program/user-data.ts). Runs before every start of the agent:
# keeps ${AGENT_PATHS.agent} when it is the agent this node was made for, else
# fetches it from the control plane and checks its SHA-256 before using it.
set -eu
dest=${AGENT_PATHS.agent}
want=${sha256}
url=${url}
if [ -f "$dest" ] && [ "$(sha256sum < "$dest" | cut -c1-64)" = "$want" ]; then exit 0; fi
mkdir -p "$(dirname "$dest")"
tmp=$(mktemp "$dest.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl -fsS --retry 5 --retry-connrefused --retry-delay 2 --max-time 60 -o "$tmp" "$url"
got=$(sha256sum < "$tmp" | cut -c1-64)
if [ "$got" != "$want" ]; then
  echo "xplane: $url served an agent with SHA-256 $got, not the $want this node was made for; retrying later" >&2
  exit 1
fi
chmod 0644 "$tmp"
mv "$tmp" "$dest"
trap - EXIT
`;
}

function agentUnit(options: AgentUserDataOptions, labels: string[]): string {
  const args = [
    AGENT_PATHS.node,
    AGENT_PATHS.agent,
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
# A node agent never gives up: while the control plane cannot be reached (or serves another
# agent), the fetch step fails and the unit is started again every RestartSec.
StartLimitIntervalSec=0

[Service]
# "+": these steps need root; the agent does not.
ExecStartPre=+${AGENT_PATHS.addressScript}
ExecStartPre=+${AGENT_PATHS.fetchScript}
# "-": systemd reads the file before every command, and it only exists after the first step.
EnvironmentFile=-${AGENT_PATHS.addressEnv}
LoadCredential=bootstrap-token:${AGENT_PATHS.token}
Environment=XPLANE_BOOTSTRAP_TOKEN_FILE=%d/bootstrap-token
ExecStart=${args.join(' ')}
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
`;
}
