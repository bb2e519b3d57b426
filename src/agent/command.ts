// `xplane agent` and the one-file agent (main.ts): the node agent's command
// line (contract §6). Flags win over environment variables; the command only
// resolves settings and wires the Agent to the process (its signals and stdout).
import { readFileSync } from 'node:fs';
import { Agent, type AgentEvent } from './agent.js';
import { parseAddress } from './address.js';
import { ProcStats } from './proc-stats.js';
import { DEFAULT_CAPACITY, LoadSimulator } from './simulate-load.js';
import { parse, UsageError, type ParsedArgs } from '../flags/index.js';
import { liteLogger, type AgentLog } from '../log/index.js';

/** Usage text of `xplane agent`. */
export const agentHelp = `Usage: xplane agent --service <name> --region <name> [options]

Runs the node agent: registers this node with the xplane server, sends a
heartbeat with CPU (and memory, QPS, error rate) at the server's interval,
registers again if the server forgets the node, and serves GET /healthz on
its address. SIGTERM or SIGINT asks the server to drain the node, then exits 0.
Exits 1 when the server refuses the registration as invalid (400, 409).

  --server <url>        xplane server (XPLANE_SERVER; default http://127.0.0.1:7070)
  --token <token>       bootstrap token (XPLANE_BOOTSTRAP_TOKEN, or
                        XPLANE_BOOTSTRAP_TOKEN_FILE naming a file that holds it)
  --service <name>      service this node serves (XPLANE_SERVICE)
  --region <name>       region this node is in (XPLANE_REGION)
  --name <name>         node name to ask for (XPLANE_NODE_NAME; default: the server picks)
  --address <ip:port>   address to listen on and register (XPLANE_ADDRESS; default 127.0.0.1:8080)
  --label <k=v>         a node label; repeatable
  --simulate-load       also serve a tiny HTTP service on the address and report
                        load from the requests it serves instead of host CPU
  --capacity <n>        with --simulate-load: requests/s that count as 100% CPU (default ${DEFAULT_CAPACITY})
  --json                print registration and state changes as JSON lines`;

const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  service: { type: 'string' },
  region: { type: 'string' },
  name: { type: 'string' },
  address: { type: 'string' },
  label: { type: 'string', multiple: true },
  'simulate-load': { type: 'boolean' },
  capacity: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The agent's settings after flags and environment are resolved. */
export interface AgentCommandConfig {
  server: string;
  token: string;
  service: string;
  region: string;
  name?: string;
  address: string;
  labels: Record<string, string>;
  /** Requests/s at 100% CPU when simulating load; undefined when not. */
  simulateCapacity?: number;
  json: boolean;
}

/** Resolves `xplane agent` settings from parsed flags and the environment; throws UsageError on a mistake. */
export function resolveAgentConfig(
  values: ParsedArgs['values'],
  env: NodeJS.ProcessEnv,
  readText: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): AgentCommandConfig {
  const pick = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName];
    return e === undefined || e === '' ? undefined : e;
  };
  const need = (flag: string, envName: string): string => {
    const v = pick(flag, envName);
    if (v === undefined || v.trim() === '') throw new UsageError(`missing --${flag} (or ${envName})`);
    return v.trim();
  };

  const server = pick('server', 'XPLANE_SERVER') ?? 'http://127.0.0.1:7070';
  if (!isHttpUrl(server)) throw new UsageError(`--server (XPLANE_SERVER) must be an http(s) URL, got "${server}"`);
  const service = need('service', 'XPLANE_SERVICE');
  const region = need('region', 'XPLANE_REGION');
  const token = resolveToken(values, env, readText);
  const address = pick('address', 'XPLANE_ADDRESS') ?? '127.0.0.1:8080';
  if (!parseAddress(address)) throw new UsageError(`--address (XPLANE_ADDRESS) must be ip:port, got "${address}"`);
  const name = pick('name', 'XPLANE_NODE_NAME');

  const labels: Record<string, string> = {};
  // parseArgs gives an array for a `multiple` option; ParsedArgs does not say so.
  const rawLabels: unknown = values.label;
  for (const label of Array.isArray(rawLabels) ? rawLabels : []) {
    const m = typeof label === 'string' ? /^([^=\s]+)=(.*)$/.exec(label) : null;
    if (!m?.[1] || m[2] === undefined) throw new UsageError(`--label must be key=value, got "${String(label)}"`);
    labels[m[1]] = m[2];
  }

  let simulateCapacity: number | undefined;
  if (values['simulate-load'] === true) {
    simulateCapacity = DEFAULT_CAPACITY;
    if (typeof values.capacity === 'string') {
      simulateCapacity = Number(values.capacity);
      if (!Number.isFinite(simulateCapacity) || simulateCapacity <= 0) throw new UsageError(`--capacity must be a positive number, got "${values.capacity}"`);
    }
  } else if (values.capacity !== undefined) {
    throw new UsageError('--capacity only applies with --simulate-load');
  }

  return {
    server,
    token,
    service,
    region,
    ...(name === undefined ? {} : { name: name.trim() }),
    address,
    labels,
    ...(simulateCapacity === undefined ? {} : { simulateCapacity }),
    json: values.json === true,
  };
}

function resolveToken(values: ParsedArgs['values'], env: NodeJS.ProcessEnv, readText: (path: string) => string): string {
  const direct = typeof values.token === 'string' ? values.token : env.XPLANE_BOOTSTRAP_TOKEN;
  if (direct !== undefined && direct.trim() !== '') return direct.trim();
  const file = env.XPLANE_BOOTSTRAP_TOKEN_FILE;
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readText(file);
    } catch (err) {
      throw new UsageError(`cannot read XPLANE_BOOTSTRAP_TOKEN_FILE ${file}: ${(err as Error).message}`);
    }
    if (text.trim() === '') throw new UsageError(`XPLANE_BOOTSTRAP_TOKEN_FILE ${file} is empty`);
    return text.trim();
  }
  throw new UsageError('missing --token (or XPLANE_BOOTSTRAP_TOKEN or XPLANE_BOOTSTRAP_TOKEN_FILE)');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What agentCommand takes from its surroundings; tests replace them, the CLI uses the defaults. */
export interface AgentCommandDeps {
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the agent with a drain; default: SIGTERM or SIGINT. */
  stopSignal?: AbortSignal;
  /** Where event lines go; default stdout. */
  write?: (line: string) => void;
  log?: AgentLog;
}

/** Runs `xplane agent`; returns the exit code once the agent has stopped. */
export async function agentCommand(argv: string[], deps: AgentCommandDeps = {}): Promise<number> {
  const { values } = parse(argv, OPTIONS, false);
  const config = resolveAgentConfig(values, deps.env ?? process.env);
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  // The dependency-free logger: this command is also the one-file agent nodes run (dist/agent/).
  const log = deps.log ?? liteLogger();
  const simulator = config.simulateCapacity === undefined ? undefined : new LoadSimulator({ capacity: config.simulateCapacity });

  const agent = new Agent({
    server: config.server,
    bootstrapToken: config.token,
    service: config.service,
    region: config.region,
    address: config.address,
    ...(config.name === undefined ? {} : { name: config.name }),
    labels: config.labels,
    log,
    stats: simulator ?? new ProcStats(),
    ...(simulator ? { handler: simulator.handle } : {}),
    onEvent: (event) => write(config.json ? JSON.stringify(eventJson(event)) : eventText(event)),
  });

  const signals = deps.stopSignal ? undefined : processStopSignal();
  const stopSignal = deps.stopSignal ?? signals?.signal;
  try {
    await agent.start();
    const stop = (): void => {
      log.info('stopping: asking the server to drain this node');
      void agent.stop({ drain: true });
    };
    if (stopSignal?.aborted) stop();
    else stopSignal?.addEventListener('abort', stop, { once: true });
    const result = await agent.wait();
    stopSignal?.removeEventListener('abort', stop);
    return result.ok ? 0 : 1;
  } finally {
    signals?.dispose();
  }
}

function eventText(event: AgentEvent): string {
  return event.type === 'registered' ? `registered as ${event.name}` : `state: ${event.state}`;
}

function eventJson(event: AgentEvent): Record<string, string> {
  return event.type === 'registered'
    ? { event: 'registered', name: event.name, address: event.address }
    : { event: 'state', name: event.name, state: event.state };
}

// Handlers stay installed only while the agent runs, so a second command in
// the same process (tests, the demo) gets node's default signal behaviour back.
function processStopSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
