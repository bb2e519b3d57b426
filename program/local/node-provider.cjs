// The LocalNode dynamic provider's implementation: one detached agent
// process (dist/agent/xplane-agent.mjs --simulate-load) per node of a `local` region.
//
// Plain CommonJS on purpose. Pulumi runs dynamic providers in its own plugin
// process (bin/pulumi-resource-pulumi-nodejs) from the serialized text of the
// provider's functions; the program runs through tsx, whose transpiled code can
// carry helpers (esbuild's __name, …) that do not survive serialization. So the
// serialized provider (program/components/local-node.ts) only does
// `require(<this file's absolute path>)[method](...)`, and nothing transpiles
// this file.
//
// A node is its process: `read` reports it gone when the pid is dead or now
// belongs to another program (pids are recycled), so `pulumi refresh` or
// `xplane converge --refresh` starts it again.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

/** How long a new agent has to start listening before create fails. */
const START_TIMEOUT_MS = 30_000;
/** How long a stopping agent has to drain itself before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 100;

// What reaches the agent from the plugin's environment: the agent's own
// XPLANE_* settings (log level, …) and what a process needs to run. Not the
// rest: the plugin's environment holds PULUMI_CONFIG_PASSPHRASE and the cloud
// credentials of the converge, which a node has no business seeing.
const PASS_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'];

function agentEnv(token) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && (PASS_ENV.includes(key) || key.startsWith('XPLANE_'))) env[key] = value;
  }
  // The token goes by environment, not argv: /proc/<pid>/cmdline is world-readable.
  delete env.XPLANE_BOOTSTRAP_TOKEN_FILE;
  env.XPLANE_BOOTSTRAP_TOKEN = token;
  return env;
}

function nodesDir(stateDir) {
  return path.join(stateDir, 'nodes');
}

function pidFile(stateDir, name) {
  return path.join(nodesDir(stateDir), `${name}.pid`);
}

/** Whether `pid` is a running agent of node `name` (not a zombie, not a recycled pid). */
function isNodeProcess(pid, name) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but someone else's, so not our agent.
    return false;
  }
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // No /proc (macOS): the liveness check is all there is.
    return process.platform !== 'linux';
  }
  // A zombie has an empty cmdline; another program has other arguments.
  const args = cmdline.split('\0');
  const at = args.indexOf('--name');
  return at >= 0 && args[at + 1] === name && args.some((a) => a.endsWith('/xplane-agent.mjs'));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

function splitAddress(address) {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

function logTail(file) {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === '' ? '(empty log)' : text.split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGTERM (the agent asks the server to drain it and exits), then SIGKILL after STOP_TIMEOUT_MS. */
async function stopProcess(pid, name) {
  if (!isNodeProcess(pid, name)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isNodeProcess(pid, name)) return;
    await sleep(POLL_MS);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  // SIGKILL is not instant either; a short wait keeps a replacement from racing it for the address.
  for (let i = 0; i < 20 && isNodeProcess(pid, name); i += 1) await sleep(POLL_MS);
}

/** The state a LocalNode keeps: its inputs without the token, and the pid. */
function outputsOf(inputs, pid) {
  return {
    name: inputs.name,
    service: inputs.service,
    region: inputs.region,
    address: inputs.address,
    server: inputs.server,
    stateDir: inputs.stateDir,
    xplaneRoot: inputs.xplaneRoot,
    implementation: inputs.implementation,
    pid,
  };
}

async function create(inputs) {
  const { name, service, region, address, server, token, stateDir, xplaneRoot } = inputs;
  if (typeof token !== 'string' || token === '') throw new Error(`LocalNode ${name}: no bootstrap token`);
  fs.mkdirSync(nodesDir(stateDir), { recursive: true });

  // An agent of this node left over from a run whose state was lost (an
  // interrupted `up`) holds the address; stop it instead of failing on EADDRINUSE.
  const stale = Number(readText(pidFile(stateDir, name)));
  await stopProcess(stale, name);

  // Something else on the address would answer the readiness check below and pass for the agent.
  const { host, port } = splitAddress(address);
  if (await canConnect(host, port)) throw new Error(`LocalNode ${name}: ${address} is already in use by another process`);

  const logPath = path.join(nodesDir(stateDir), `${name}.log`);
  const logFd = fs.openSync(logPath, 'a');
  let child;
  try {
    child = spawn(
      process.execPath,
      // The one-file agent real nodes fetch and run (dist/agent/xplane-agent.mjs): the path users get is the path tested.
      [
        path.join(xplaneRoot, 'dist', 'agent', 'xplane-agent.mjs'),
        '--simulate-load',
        '--name',
        name,
        '--service',
        service,
        '--region',
        region,
        '--address',
        address,
        '--server',
        server,
      ],
      // Detached: its own session, so it outlives this plugin process, which Pulumi stops after every operation.
      { detached: true, stdio: ['ignore', logFd, logFd], env: agentEnv(token), cwd: stateDir },
    );
  } finally {
    fs.closeSync(logFd);
  }
  const pid = child.pid;
  let exited;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.once('error', (err) => {
    exited = err.message;
  });
  child.unref();
  if (pid === undefined) {
    await sleep(0);
    throw new Error(`LocalNode ${name}: cannot start the agent: ${exited ?? 'no pid'}`);
  }
  // The pid file goes down at once, not once the agent listens: if this
  // plugin dies in between (its converge cancelled, the playground killed),
  // the file is how the next start finds the agent it left running.
  fs.writeFileSync(pidFile(stateDir, name), `${pid}\n`);
  const fail = async (message) => {
    await stopProcess(pid, name);
    fs.rmSync(pidFile(stateDir, name), { force: true });
    throw new Error(message);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) await fail(`LocalNode ${name}: the agent exited (${exited}) before listening on ${address}; ${logPath}:\n${logTail(logPath)}`);
    if (await canConnect(host, port)) break;
    if (Date.now() > deadline)
      await fail(`LocalNode ${name}: the agent did not listen on ${address} within ${START_TIMEOUT_MS / 1000} s; ${logPath}:\n${logTail(logPath)}`);
    await sleep(POLL_MS);
  }
  return { id: name, outs: outputsOf(inputs, pid) };
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

async function read(id, props) {
  // No id: the engine drops the resource from the state, and the next `up` creates it again.
  if (!isNodeProcess(props.pid, props.name)) return {};
  return { id, props };
}

/** Fields whose change needs a new process. The token is not one: a running agent keeps its registration. */
const REPLACE_ON = ['name', 'address', 'service', 'region'];
/** Fields that are only bookkeeping: a change is stored, the process keeps running (as aws nodes ignore user-data changes). */
const UPDATE_ON = ['server', 'stateDir', 'xplaneRoot', 'implementation'];

async function diff(id, olds, news) {
  const replaces = REPLACE_ON.filter((key) => olds[key] !== news[key]);
  const changed = replaces.length > 0 || UPDATE_ON.some((key) => olds[key] !== news[key]);
  // Delete first: two agents registering one node name would fight over it at the control plane.
  return { changes: changed, replaces, deleteBeforeReplace: true };
}

async function update(id, olds, news) {
  if (olds.pid !== undefined && olds.stateDir !== news.stateDir) {
    fs.mkdirSync(nodesDir(news.stateDir), { recursive: true });
    fs.writeFileSync(pidFile(news.stateDir, news.name), `${olds.pid}\n`);
  }
  return { outs: outputsOf(news, olds.pid) };
}

async function remove(id, props) {
  await stopProcess(props.pid, props.name);
  fs.rmSync(pidFile(props.stateDir, props.name), { force: true });
}

module.exports = { create, read, diff, update, delete: remove, isNodeProcess };
