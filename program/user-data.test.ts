import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AGENT_PATHS, agentUserData, type AgentUserDataOptions } from './user-data.js';

const options: AgentUserDataOptions = {
  node: 'jp-svc-plus-2',
  service: 'svc-plus',
  region: 'jp',
  serverUrl: 'https://xplane.example.net:7070',
  token: 's3cret-token',
  agentSha256: 'ab'.repeat(32),
  healthPort: 8080,
  labels: { tier: 'general' },
};

interface CloudConfig {
  packages?: string[];
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}

function render(o: AgentUserDataOptions = options): { text: string; config: CloudConfig; file: (path: string) => string } {
  const text = agentUserData(o);
  const config = parse(text) as CloudConfig;
  const file = (path: string): string => {
    const found = config.write_files.find((f) => f.path === path);
    assert.ok(found, `no ${path} in write_files`);
    return found.content;
  };
  return { text, config, file };
}

describe('agentUserData', () => {
  it('is a cloud-config document', () => {
    assert.match(render().text, /^#cloud-config\n/);
  });

  it('installs only what the image lacks, then starts the agent unit', () => {
    const { config, file } = render();
    assert.equal(config.packages, undefined, 'no package list: a prepared image boots without a mirror');
    assert.deepEqual(config.runcmd, [
      [AGENT_PATHS.prepareScript],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', '--no-block', 'xplane-agent.service'],
    ]);
    const prepare = file(AGENT_PATHS.prepareScript);
    for (const [command, pkg] of [
      ['node', 'nodejs'],
      ['curl', 'curl'],
      ['ip', 'iproute2'],
      ['nft', 'nftables'],
    ]) {
      assert.match(prepare, new RegExp(`command -v ${command} >/dev/null 2>&1 \\|\\| missing="\\$missing ${pkg}"`));
    }
    assert.match(prepare, /-ge 18 \]/, 'refuses a Node.js older than the agent needs');
  });

  it('fetches the agent from the control plane and keeps it only at the rendered SHA-256', () => {
    const script = render().file(AGENT_PATHS.fetchScript);
    assert.match(script, /^url=https:\/\/xplane\.example\.net:7070\/v1\/agent\/xplane-agent\.mjs$/m);
    assert.match(script, new RegExp(`^want=${'ab'.repeat(32)}$`, 'm'));
    assert.match(script, /if \[ "\$got" != "\$want" \]; then/);
    const unit = render().file(AGENT_PATHS.unit);
    assert.match(unit, /^ExecStartPre=\+\/usr\/local\/libexec\/xplane-agent-fetch$/m, 'before every start, as root');
    assert.match(unit, /^StartLimitIntervalSec=0$/m, 'never gives up while the control plane is away');
    assert.match(unit, /^Restart=always$/m);
    assert.throws(() => agentUserData({ ...options, agentSha256: 'nothex' }), /SHA-256 must be 64 lowercase hex digits/);
  });

  it('stays well under the 16 KB EC2 allows', () => {
    const bytes = Buffer.byteLength(render({ ...options, labels: { tier: 'general', team: 'payments', zone: 'a' } }).text);
    assert.ok(bytes < 8 * 1024, `${bytes} bytes`);
  });

  it('runs the agent with the node name, service, region, server and the registered address', () => {
    const unit = render().file(AGENT_PATHS.unit);
    const execStart = unit.split('\n').find((l) => l.startsWith('ExecStart='));
    assert.equal(
      execStart,
      'ExecStart=/usr/bin/node /usr/local/lib/xplane/xplane-agent.mjs --server https://xplane.example.net:7070 --service svc-plus --region jp --name jp-svc-plus-2 --address ${XPLANE_PUBLIC_ADDRESS} --label tier=general',
    );
  });

  it('hands the token over as a file, never on the command line', () => {
    const { file } = render();
    const unit = file(AGENT_PATHS.unit);
    assert.ok(!unit.includes('s3cret-token'));
    assert.match(unit, /^LoadCredential=bootstrap-token:\/etc\/xplane\/bootstrap-token$/m);
    assert.match(unit, /^Environment=XPLANE_BOOTSTRAP_TOKEN_FILE=%d\/bootstrap-token$/m);
    assert.equal(file(AGENT_PATHS.token), 's3cret-token\n');
  });

  it('writes the token file readable by root only', () => {
    const token = render().config.write_files.find((f) => f.path === AGENT_PATHS.token);
    assert.equal(token?.permissions, '0600');
  });

  it('learns the public IP from IMDSv2 and registers it with the health port', () => {
    const script = render().file(AGENT_PATHS.addressScript);
    assert.match(script, /-X PUT "\$imds\/api\/token"/);
    assert.match(script, /meta-data\/\$1/);
    assert.match(script, /get public-ipv4/);
    assert.match(script, /tcp dport 8080 dnat to \$public/);
    assert.match(script, /XPLANE_PUBLIC_ADDRESS=%s:%s\\n' "\$public" 8080/);
  });

  it('keeps a token with YAML-special characters intact', () => {
    const token = 'a: "b" #c\\d';
    assert.equal(render({ ...options, token }).file(AGENT_PATHS.token), `${token}\n`);
  });

  it('rejects values that could break out of the unit file', () => {
    assert.throws(() => agentUserData({ ...options, node: 'jp svc' }), /node "jp svc"/);
    assert.throws(() => agentUserData({ ...options, serverUrl: 'https://x/$HOME' }), /may not contain/);
    assert.throws(() => agentUserData({ ...options, serverUrl: 'ftp://x' }), /must be http/);
    assert.throws(() => agentUserData({ ...options, labels: { tier: 'a b' } }), /label/);
    assert.throws(() => agentUserData({ ...options, token: ' ' }), /token is empty/);
    assert.throws(() => agentUserData({ ...options, healthPort: 0 }), /health port/);
  });
});
