// The `xplane` command line (contract §6): dispatches to one command and maps
// errors to exit codes — 0 success, 1 the command's own failure, 2 usage.
// It imports almost nothing itself: `--version` and `--help` must start fast, and each
// command loads its own module (and that module's dependencies) only when it runs.
import { errorText } from '../errors.js';
import { packageVersion } from '../package/index.js';
import { err, out } from './output.js';

/** What a command module gives the dispatcher: its usage text and its entry point. */
interface CommandModule {
  help: string;
  run: (argv: string[]) => Promise<number>;
}

interface Command {
  summary: string;
  /** Loads the command's module: only the command that runs pays for its imports. */
  load: () => Promise<CommandModule>;
}

const COMMANDS: Record<string, Command> = {
  validate: {
    summary: 'check a GitOps repo’s declarations',
    load: async () => import('./commands/validate.js').then((m) => ({ help: m.validateHelp, run: m.validateCommand })),
  },
  sync: {
    summary: 'one sync: pull, validate, store; prints what changed',
    load: async () => import('./commands/sync.js').then((m) => ({ help: m.syncHelp, run: m.syncCommand })),
  },
  serve: {
    summary: 'the long-running reconciler: sync loop, node API, health prober, metrics',
    load: async () => import('./commands/serve.js').then((m) => ({ help: m.serveHelp, run: m.serveCommand })),
  },
  plan: {
    summary: 'what the controllers would commit now, as a diff; writes nothing',
    load: async () => import('./commands/plan.js').then((m) => ({ help: m.planHelp, run: m.planCommand })),
  },
  simulate: {
    summary: 'replay a metrics trace through the real controllers; compare two configurations',
    load: async () => import('./commands/simulate.js').then((m) => ({ help: m.simulateHelp, run: m.simulateCommand })),
  },
  metrics: {
    summary: 'metrics export: what the controllers saw per service and region, as CSV',
    load: async () => import('./commands/metrics.js').then((m) => ({ help: m.metricsHelp, run: (argv) => m.metricsCommand(argv) })),
  },
  converge: {
    summary: 'Pulumi Automation API: up (or preview) of each region stack',
    load: async () => import('./commands/converge.js').then((m) => ({ help: m.convergeHelp, run: (argv) => m.convergeCommand(argv) })),
  },
  preview: {
    summary: 'xplane converge --preview',
    load: async () => import('./commands/converge.js').then((m) => ({ help: m.previewHelp, run: (argv) => m.convergeCommand(argv, true) })),
  },
  demo: {
    summary: 'the local playground (npm start): loop, DNS, nodes, inline converge',
    load: async () => import('./commands/demo.js').then((m) => ({ help: m.demoHelp, run: m.demoCommand })),
  },
  load: {
    summary: 'traffic for the playground, resolved through the embedded DNS',
    load: async () => import('./commands/load.js').then((m) => ({ help: m.loadHelp, run: m.loadCommand })),
  },
  status: {
    summary: 'weights, nodes, holds and freezes per service and region, from a running server',
    load: async () => import('./commands/status.js').then((m) => ({ help: m.statusHelp, run: m.statusCommand })),
  },
  nodes: {
    summary: 'the registered nodes, from a running server',
    load: async () => import('./commands/nodes.js').then((m) => ({ help: m.nodesHelp, run: m.nodesCommand })),
  },
  drain: {
    summary: 'take a node out of DNS before it is removed, through a running server',
    load: async () => import('./commands/drain.js').then((m) => ({ help: m.drainHelp, run: m.drainCommand })),
  },
  history: {
    summary: 'the control loop’s decisions, newest first, from a running server',
    load: async () => import('./commands/history.js').then((m) => ({ help: m.historyHelp, run: m.historyCommand })),
  },
  drift: {
    summary: 'refresh each stack in preview and report resources changed outside Pulumi (exit 3)',
    load: async () => import('./commands/drift.js').then((m) => ({ help: m.driftHelp, run: m.driftCommand })),
  },
  schema: {
    summary: 'the JSON Schema of a declaration (gtm, autoscale, region), for editors',
    load: async () => import('./commands/schema.js').then((m) => ({ help: m.schemaHelp, run: m.schemaCommand })),
  },
  agent: {
    summary: 'the node agent: registers, heartbeats, serves /healthz',
    load: async () => import('./commands/agent.js').then((m) => ({ help: m.agentHelp, run: (argv) => m.agentCommand(argv) })),
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: xplane <command> [options]', '', 'Commands:', ...rows, '', 'Run `xplane <command> --help` for a command’s options.'].join('\n');
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    out(`xplane ${packageVersion()}`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    err(`xplane: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // Told apart by their stable codes, so this module need not import the settings or flag
    // parsing it would otherwise load for every run.
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'XP_ERR_USAGE') {
      err(`xplane ${name}: ${(e as Error).message}\n\n${command.help}`);
      return 2;
    }
    if (code === 'XP_ERR_SETTINGS') {
      const problems = (e as { problems?: string[] }).problems ?? [(e as Error).message];
      err(`xplane ${name}: bad settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
      return 2;
    }
    err(`xplane ${name}: ${errorText(e)}`);
    return 1;
  }
}
