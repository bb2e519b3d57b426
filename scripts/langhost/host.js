// A minimal Pulumi language host for Node.js programs (`pulumi-language-nodejs`),
// so `pulumi preview` / `pulumi up` run by the Pulumi CLI itself (the way
// pulumi/actions runs it) work where Pulumi's own Go host cannot be had: this
// project's CI builds the CLI from Go modules, and the module proxy refuses
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (403).
// Where the official host is installed, use it: this one does what it does
// for running a program and nothing else.
//
// Protocol (as Pulumi CLI v3.259.0 drives it): the CLI starts the plugin in the
// program directory with the engine's address as the only argument, reads the
// gRPC port from the first line of stdout, and calls the LanguageRuntime
// service: preview/up/destroy call GetPluginInfo, About, GetRequiredPackages,
// Run and Cancel; `pulumi about` adds GetProgramDependencies, `pulumi install`
// InstallDependencies. Run starts @pulumi/pulumi's own program runner
// (cmd/run) with the Pulumi.yaml runtime options `nodeargs`, `typescript` and
// `tsconfig`, as the official host does. Code generation, templates and plugin
// running answer UNIMPLEMENTED (grpc-js's default for a missing handler).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// The generated stubs and the grpc-js they were generated for, from the @pulumi/pulumi next to this script.
const sdkRequire = createRequire(require.resolve('@pulumi/pulumi/package.json'));
const grpc = sdkRequire('@grpc/grpc-js');
const { LanguageRuntimeService } = sdkRequire('./proto/language_grpc_pb.js');
const lang = sdkRequire('./proto/language_pb.js');
const { PluginInfo, PackageDependency } = sdkRequire('./proto/plugin_pb.js');
const { Empty } = sdkRequire('google-protobuf/google/protobuf/empty_pb.js');
const SDK_VERSION = sdkRequire('./package.json').version;

/** The exit code of cmd/run after it has shown the user an actionable message: the engine should just stop. */
const BAIL_EXIT_CODE = 32;

let engineAddress =
  process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith('-'))
    .at(-1) ?? '';
const running = new Set();

/** The runtime options of Pulumi.yaml, checked the way the official host checks them. */
function runtimeOptions(info) {
  const raw = info?.getOptions()?.toJavaScript() ?? {};
  const typeOf = (key, type) => {
    if (raw[key] !== undefined && typeof raw[key] !== type) throw new Error(`${key} option must be a ${type}`);
    return raw[key];
  };
  return {
    typescript: typeOf('typescript', 'boolean') ?? true,
    tsconfig: typeOf('tsconfig', 'string') ?? '',
    nodeargs: typeOf('nodeargs', 'string') ?? '',
    packagemanager: typeOf('packagemanager', 'string') ?? 'auto',
  };
}

/** Splits `nodeargs` like a shell would (quotes, no escapes). */
function splitArgs(text) {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The nearest `<rel>` at or above `dir` (how Node finds a package, and npm a project). */
function findUp(dir, rel) {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, rel);
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/** `ns:name` → `ns:config:name`, the form the official host hands to every @pulumi/pulumi version. */
function configJson(map) {
  const out = {};
  for (const [key, value] of map.toArray()) {
    const [, ns, name] = /^([^:]+):(?:config:)?(.*)$/s.exec(key) ?? [];
    if (ns === undefined) throw new Error(`invalid config key ${key}`);
    out[`${ns}:config:${name}`] = value;
  }
  return JSON.stringify(out);
}

async function run(req) {
  const info = req.getInfo();
  const programDir = info.getProgramDirectory();
  const options = runtimeOptions(info);
  const runner = findUp(programDir, 'node_modules/@pulumi/pulumi/cmd/run/index.js');
  if (!runner) return { error: 'It looks like the Pulumi SDK has not been installed. Have you run pulumi install?' };
  const flag = (name, value) => (value === '' ? [] : [`--${name}=${value}`]);
  // No --sync: @pulumi/pulumi no longer reads the synchronous-invoke pipes the official host serves there.
  const args = [
    ...splitArgs(options.nodeargs),
    runner,
    ...flag('monitor', req.getMonitorAddress()),
    ...flag('engine', engineAddress),
    ...flag('organization', req.getOrganization()),
    ...flag('project', req.getProject()),
    ...flag('root-directory', info.getRootDirectory()),
    ...flag('stack', req.getStack()),
    ...flag('pwd', programDir),
    ...(req.getDryrun() ? ['--dry-run'] : []),
    `--parallel=${req.getParallel()}`,
    info.getEntryPoint(),
    ...req.getArgsList(),
  ];
  const env = {
    ...process.env,
    PULUMI_CONFIG: configJson(req.getConfigMap()),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    PULUMI_NODEJS_TYPESCRIPT: String(options.typescript),
    ...(options.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: options.tsconfig } : {}),
  };
  return new Promise((resolve) => {
    // The program's output goes where ours goes: the engine reads both streams.
    const child = spawn(process.execPath, args, { cwd: programDir, env, stdio: ['ignore', 'inherit', 'inherit'] });
    running.add(child);
    child.once('error', (err) => {
      running.delete(child);
      resolve({ error: `Problem executing program (could not run language executor): ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (code === 0) resolve({ error: '' });
      else if (code === BAIL_EXIT_CODE) resolve({ error: '', bail: true });
      else if (code !== null) resolve({ error: `Program exited with non-zero exit code: ${code}` });
      else resolve({ error: `Program exited unexpectedly: ${signal}` });
    });
  });
}

/** Pulumi packages of the program: package.json files under node_modules below the program directory with `pulumi.resource`. */
function requiredPackages(dir, inNodeModules = false, seen = new Set()) {
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const found = [];
  for (const name of readdirSync(real)) {
    const path = join(real, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // a dangling link
    }
    if (stat.isDirectory()) found.push(...requiredPackages(path, inNodeModules || basename(real) === 'node_modules', seen));
    else if (inNodeModules && name === 'package.json') {
      let pkg;
      try {
        pkg = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        continue; // like the official host: one broken package.json does not hide the others
      }
      const version = pkg.pulumi?.version ?? pkg.version;
      if (!pkg.pulumi?.resource || typeof version !== 'string') continue;
      found.push(
        new PackageDependency()
          .setKind('resource')
          .setName(pkg.pulumi.name ?? pkg.name.replace(/^@pulumi\//, ''))
          .setVersion(version.startsWith('v') ? version : `v${version}`)
          .setServer(pkg.pulumi.server ?? ''),
      );
    }
  }
  return found;
}

/** The package manager `packagemanager: auto` means for a project folder. */
function packageManager(dir, choice) {
  if (choice !== 'auto') return choice;
  const locks = { 'pnpm-lock.yaml': 'pnpm', 'yarn.lock': 'yarn', 'bun.lock': 'bun', 'bun.lockb': 'bun' };
  return Object.entries(locks).find(([file]) => existsSync(join(dir, file)))?.[1] ?? 'npm';
}

/** Unary handlers: each returns the response message (or throws, which becomes an UNKNOWN status). */
const unary = {
  handshake(req) {
    engineAddress = req.getEngineAddress();
    return new lang.LanguageHandshakeResponse();
  },
  getPluginInfo: () => new PluginInfo().setVersion(SDK_VERSION),
  about: () => new lang.AboutResponse().setExecutable(process.execPath).setVersion(process.version.slice(1)),
  getRequiredPackages: (req) => new lang.GetRequiredPackagesResponse().setPackagesList(requiredPackages(req.getInfo().getProgramDirectory())),
  async run(req) {
    // Like the official host, a bad option or a missing SDK is the run's error, not the RPC's.
    const { error, bail = false } = await run(req).catch((err) => ({ error: err.message }));
    return new lang.RunResponse().setError(error).setBail(bail);
  },
  getProgramDependencies(req) {
    const programDir = req.getInfo().getProgramDirectory();
    const manifest = findUp(programDir, 'package.json');
    const pkg = manifest ? JSON.parse(readFileSync(manifest, 'utf8')) : {};
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).flatMap((name) => {
      const installed = findUp(programDir, `node_modules/${name}/package.json`);
      const version = installed && JSON.parse(readFileSync(installed, 'utf8')).version;
      return version ? [new lang.DependencyInfo().setName(name).setVersion(version)] : [];
    });
    return new lang.GetProgramDependenciesResponse().setDependenciesList(deps);
  },
  runtimeOptionsPrompts: () => new lang.RuntimeOptionsResponse(),
  cancel() {
    for (const child of running) child.kill('SIGINT');
    return new Empty();
  },
};

const impl = {};
for (const [name, handler] of Object.entries(unary)) {
  impl[name] = (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (res) => callback(null, res),
        (err) => callback({ code: grpc.status.UNKNOWN, details: err.message }),
      );
  };
}
// `pulumi install`: the project's package manager, its output streamed back.
impl.installDependencies = (call) => {
  const info = call.request.getInfo();
  const manifest = findUp(info.getProgramDirectory(), 'package.json');
  const dir = manifest ? dirname(manifest) : info.getProgramDirectory();
  const child = spawn(packageManager(dir, runtimeOptions(info).packagemanager), ['install'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => call.write(new lang.InstallDependenciesResponse().setStdout(chunk)));
  child.stderr.on('data', (chunk) => call.write(new lang.InstallDependenciesResponse().setStderr(chunk)));
  child.once('error', (err) => call.destroy({ code: grpc.status.UNKNOWN, details: err.message }));
  child.once('exit', (code) => (code === 0 ? call.end() : call.destroy({ code: grpc.status.UNKNOWN, details: `install exited with code ${code}` })));
};

const server = new grpc.Server();
server.addService(LanguageRuntimeService, impl);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`pulumi-language-nodejs: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});

// The CLI kills its plugins when it is done; if it died instead, do not outlive it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
