// The program as a factory: reads the stack config with `new
// pulumi.Config('xplane')`, loads platform-config/ from the repo root and
// builds a region stack (or, with `xplane:role: global`, the Cloudflare load
// balancers). index.ts hands it to the Pulumi CLI; the Automation API runs it
// as an inline program: `LocalWorkspace.createOrSelectStack({ stackName,
// projectName: 'xplane', program: xplaneProgram({ root }) })`.
// The stack config keys are listed in settings.ts. The repo root also anchors
// the local target's state (`xplane:localStateDir`, default .xplane/local).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { loadProgramDeclarations } from './declarations.js';
import { globalStack } from './global-stack.js';
import { regionStack } from './region-stack.js';
import { readStackSettings, tokenFromEnvironment } from './settings.js';

/** The local target's state (node logs, pid files, DNS record files), relative to the repo root; `.xplane/` is git-ignored. */
export const DEFAULT_LOCAL_STATE_DIR = '.xplane/local';

/** Where the inline program finds the repo and the converge-time environment. */
export interface XplaneProgramOptions {
  /** The GitOps repo checkout; default `process.cwd()` (the Pulumi CLI runs in the project directory). */
  root?: string;
  /** Environment for XPLANE_BOOTSTRAP_TOKEN(_FILE); default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The GitOps repo: the folder of Pulumi.yaml. The CLI runs the program from its own folder
 * (program/), so the working directory is not it; Pulumi's mocks answer a placeholder that is not
 * a path, and then the working directory is all there is.
 */
function repoRoot(): string {
  const project = pulumi.getRootDirectory();
  return isAbsolute(project) ? project : process.cwd();
}

/** The program as a function: an Automation API inline program, and (called with no options) the CLI's entry point. */
export function xplaneProgram(options: XplaneProgramOptions = {}): () => Promise<Record<string, unknown>> {
  return async () => {
    try {
      const config = new pulumi.Config('xplane');
      const settings = readStackSettings((key) => config.get(key));
      const root = options.root ?? repoRoot();
      if (settings.role === 'global') {
        return { ...(await globalStack({ declarations: await loadProgramDeclarations(root), settings, project: pulumi.getProject() })) };
      }
      const region = settings.region;
      if (region === undefined) throw new Error('xplane:region is not set: a region stack needs it (or set xplane:role: global)');
      const declarations = await loadProgramDeclarations(root, { region, pools: settings.pools });
      const envToken = tokenFromEnvironment({ env: options.env ?? process.env, readText: (path) => readFileSync(path, 'utf8') });
      const secretToken = envToken ?? config.getSecret('bootstrapToken');
      const bootstrapToken = secretToken === undefined ? undefined : pulumi.secret(secretToken);
      const pools = declarations.stacks[region]?.pools ?? {};
      const localStateDir = resolve(root, settings.localStateDir ?? DEFAULT_LOCAL_STATE_DIR);
      // XPLANE_SERVER (the agent's own variable) at converge time stands in for an unset
      // xplane:controlPlaneUrl: `converge: inline` tells the program where its control plane listens.
      const server = (options.env ?? process.env).XPLANE_SERVER;
      const withServer = settings.controlPlaneUrl === undefined && server ? { ...settings, controlPlaneUrl: server } : settings;
      const commitTime = headCommitTime(root);
      return {
        ...regionStack({
          declarations,
          region,
          pools,
          settings: withServer,
          localStateDir,
          ...(bootstrapToken ? { bootstrapToken } : {}),
          ...(commitTime === undefined ? {} : { commitTime }),
          credentials: {
            env: options.env ?? process.env,
            secret: (key) => config.getSecret(key),
            readText: (path) => readFileSync(path, 'utf8'),
          },
        }),
      };
    } catch (err) {
      // The program throws plain Errors for configuration mistakes: show those as one message, not a stack
      // trace through the program. Anything else (a TypeError, …) is a bug and keeps its trace.
      if (err instanceof Error && err.constructor === Error) throw new pulumi.RunError(err.message);
      throw err;
    }
  };
}

/** Unix time of the commit checked out at `root` (the configuration converged), or undefined outside a Git work tree. */
export function headCommitTime(root: string): number | undefined {
  try {
    const out = execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const seconds = Number(out.trim());
    return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}
