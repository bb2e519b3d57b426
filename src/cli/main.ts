// The `xplane` command line (contract §6): dispatches to one command and maps
// errors to exit codes — 0 success, 1 the command's own failure, 2 usage.
import { SettingsError } from '../settings/index.js';
import { UsageError } from './args.js';
import { agentCommand, agentHelp } from './commands/agent.js';
import { convergeCommand, convergeHelp, previewHelp } from './commands/converge.js';
import { demoCommand, demoHelp } from './commands/demo.js';
import { loadCommand, loadHelp } from './commands/load.js';
import { planCommand, planHelp } from './commands/plan.js';
import { serveCommand, serveHelp } from './commands/serve.js';
import { syncCommand, syncHelp } from './commands/sync.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { err, out } from './output.js';

interface Command {
  summary: string;
  help: string;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  validate: { summary: 'check a GitOps repo’s declarations', help: validateHelp, run: validateCommand },
  sync: { summary: 'one sync: pull, validate, store; prints what changed', help: syncHelp, run: syncCommand },
  serve: { summary: 'the long-running reconciler: sync loop, node API, health prober, metrics', help: serveHelp, run: serveCommand },
  plan: { summary: 'what the controllers would commit now, as a diff; writes nothing', help: planHelp, run: planCommand },
  converge: { summary: 'Pulumi Automation API: up (or preview) of each region stack', help: convergeHelp, run: (argv) => convergeCommand(argv) },
  preview: { summary: 'xplane converge --preview', help: previewHelp, run: (argv) => convergeCommand(argv, true) },
  demo: { summary: 'the local playground (npm start): loop, DNS, nodes, inline converge', help: demoHelp, run: demoCommand },
  load: { summary: 'traffic for the playground, resolved through the embedded DNS', help: loadHelp, run: loadCommand },
  agent: { summary: 'the node agent: registers, heartbeats, serves /healthz', help: agentHelp, run: (argv) => agentCommand(argv) },
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
  if (name === '--version') {
    out('xplane 0.1.0');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`xplane: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`xplane ${name}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    if (e instanceof SettingsError) {
      err(`xplane ${name}: bad settings:\n${e.problems.map((p) => `  ${p}`).join('\n')}`);
      return 2;
    }
    err(`xplane ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
