// Tests of `xplane agent` (src/cli/commands/agent.ts), kept in the agent's
// folder because that is the part of the tree this work owns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentCommand, agentHelp, resolveAgentConfig } from './command.js';
import { UsageError } from '../flags/index.js';
import { silentLogger } from '../log/index.js';
import { FakeNodeServer } from './fake-node-server.js';

const BASE = { service: 'svc-plus', region: 'jp', token: 't' };
const noFile = (): string => {
  throw new Error('ENOENT');
};

describe('resolveAgentConfig', () => {
  it('uses the defaults for server and address', () => {
    assert.deepEqual(resolveAgentConfig(BASE, {}, noFile), {
      server: 'http://127.0.0.1:7070',
      token: 't',
      service: 'svc-plus',
      region: 'jp',
      address: '127.0.0.1:8080',
      labels: {},
      json: false,
    });
  });

  it('falls back to the environment, with flags winning', () => {
    const env = {
      XPLANE_SERVER: 'http://10.0.0.1:7070',
      XPLANE_BOOTSTRAP_TOKEN: 'env-t',
      XPLANE_SERVICE: 'svc-env',
      XPLANE_REGION: 'us',
      XPLANE_NODE_NAME: 'us-1',
      XPLANE_ADDRESS: '10.0.0.9:9000',
    };
    const fromEnv = resolveAgentConfig({}, env, noFile);
    assert.deepEqual(
      { server: fromEnv.server, token: fromEnv.token, service: fromEnv.service, region: fromEnv.region, name: fromEnv.name, address: fromEnv.address },
      { server: 'http://10.0.0.1:7070', token: 'env-t', service: 'svc-env', region: 'us', name: 'us-1', address: '10.0.0.9:9000' },
    );
    assert.equal(resolveAgentConfig({ service: 'svc-flag' }, env, noFile).service, 'svc-flag');
  });

  it('reads the token from XPLANE_BOOTSTRAP_TOKEN_FILE, trimmed', () => {
    const config = resolveAgentConfig({ service: 's', region: 'r' }, { XPLANE_BOOTSTRAP_TOKEN_FILE: '/run/secrets/boot' }, (p) =>
      p === '/run/secrets/boot' ? 'file-token\n' : '',
    );
    assert.equal(config.token, 'file-token');
  });

  const missing: { name: string; values: Record<string, string>; flag: string; env: string }[] = [
    { name: 'service', values: { region: 'r', token: 't' }, flag: '--service', env: 'XPLANE_SERVICE' },
    { name: 'region', values: { service: 's', token: 't' }, flag: '--region', env: 'XPLANE_REGION' },
    { name: 'token', values: { service: 's', region: 'r' }, flag: '--token', env: 'XPLANE_BOOTSTRAP_TOKEN' },
  ];
  for (const m of missing) {
    it(`names ${m.flag} and ${m.env} when the ${m.name} is missing`, () => {
      assert.throws(
        () => resolveAgentConfig(m.values, {}, noFile),
        (e: unknown) => e instanceof UsageError && e.message.includes(m.flag) && e.message.includes(m.env),
      );
    });
  }

  it('reports an unreadable token file as a usage error naming it', () => {
    assert.throws(
      () => resolveAgentConfig({ service: 's', region: 'r' }, { XPLANE_BOOTSTRAP_TOKEN_FILE: '/nope' }, noFile),
      /XPLANE_BOOTSTRAP_TOKEN_FILE \/nope/,
    );
  });

  it('collects repeated --label flags', () => {
    assert.deepEqual(resolveAgentConfig({ ...BASE, label: ['zone=a', 'tier=gold=1'] } as unknown as Record<string, string>, {}, noFile).labels, {
      zone: 'a',
      tier: 'gold=1',
    });
  });

  // parseArgs hands `multiple` options over as arrays, which ParsedArgs' type does not show.
  const bad: { name: string; values: Record<string, unknown>; match: RegExp }[] = [
    { name: 'a label without =', values: { ...BASE, label: ['zone'] }, match: /--label/ },
    { name: 'an address without a port', values: { ...BASE, address: '127.0.0.1' }, match: /--address/ },
    { name: 'a server that is not a URL', values: { ...BASE, server: '127.0.0.1:7070' }, match: /--server/ },
    { name: 'a capacity that is not positive', values: { ...BASE, 'simulate-load': true, capacity: '0' }, match: /--capacity/ },
    { name: '--capacity without --simulate-load', values: { ...BASE, capacity: '10' }, match: /--simulate-load/ },
  ];
  for (const b of bad) {
    it(`rejects ${b.name}`, () => {
      assert.throws(() => resolveAgentConfig(b.values as Record<string, string>, {}, noFile), b.match);
    });
  }

  it('takes the capacity only with --simulate-load, defaulting to 100', () => {
    assert.equal(resolveAgentConfig({ ...BASE, 'simulate-load': true }, {}, noFile).simulateCapacity, 100);
    assert.equal(resolveAgentConfig({ ...BASE, 'simulate-load': true, capacity: '250' }, {}, noFile).simulateCapacity, 250);
    assert.equal(resolveAgentConfig(BASE, {}, noFile).simulateCapacity, undefined);
  });
});

describe('agentCommand', { timeout: 30_000 }, () => {
  let fake: FakeNodeServer;
  let url: string;
  before(async () => {
    fake = new FakeNodeServer({ bootstrapToken: 'boot', heartbeatIntervalMs: 50 });
    url = await fake.start();
  });
  after(() => fake.close());

  const argv = (...extra: string[]): string[] => [
    '--server',
    url,
    '--token',
    'boot',
    '--service',
    'svc-plus',
    '--region',
    'jp',
    '--address',
    '127.0.0.1:0',
    ...extra,
  ];

  it('has help starting with its usage line', () => assert.match(agentHelp, /^Usage: xplane agent/));

  it('prints one line per state change and drains then exits 0 when asked to stop', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const exit = agentCommand(argv('--name', 'jp-cli-1'), {
      env: {},
      stopSignal: stop.signal,
      log: silentLogger(),
      write: (line) => {
        lines.push(line);
        if (line === 'state: active') stop.abort();
      },
    });
    assert.equal(await exit, 0);
    assert.deepEqual(lines, ['registered as jp-cli-1', 'state: warm', 'state: active', 'state: drain']);
    assert.equal(fake.received('/v1/nodes/drain').filter((r) => r.body.name === 'jp-cli-1').length, 1);
  });

  it('prints JSON lines with --json', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const exit = agentCommand(argv('--name', 'jp-cli-2', '--json', '--simulate-load'), {
      env: {},
      stopSignal: stop.signal,
      log: silentLogger(),
      write: (line) => {
        lines.push(line);
        if (lines.length === 2) stop.abort();
      },
    });
    assert.equal(await exit, 0);
    const events = lines.map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(events[0]?.event, 'registered');
    assert.equal(events[0].name, 'jp-cli-2');
    assert.match(events[0].address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(events.slice(1), [
      { event: 'state', name: 'jp-cli-2', state: 'warm' },
      { event: 'state', name: 'jp-cli-2', state: 'drain' },
    ]);
    const beat = fake.received('/v1/nodes/heartbeat').find((r) => r.body.name === 'jp-cli-2');
    assert.equal(typeof beat?.body.qps, 'number', 'simulated load reports qps');
  });

  it('exits 1 when the server refuses the registration as invalid', async () => {
    fake.script('/v1/nodes/register', { status: 400, body: { error: { code: 'XP_ERR_BAD_INPUT', message: 'region "jp" is not declared', field: 'region' } } });
    assert.equal(await agentCommand(argv(), { env: {}, stopSignal: new AbortController().signal, log: silentLogger(), write: () => undefined }), 1);
  });

  it('throws a UsageError naming the flag and the variable when --service is missing', async () => {
    await assert.rejects(
      agentCommand(['--region', 'jp', '--token', 't'], { env: {} }),
      (e: unknown) => e instanceof UsageError && /--service.*XPLANE_SERVICE/.test(e.message),
    );
  });
});
