// The entry of the one-file node agent, dist/agent/xplane-agent.mjs (scripts/bundle.js):
// `node xplane-agent.mjs --server … --service … --region …` takes the same flags and
// environment variables as `xplane agent`, on any Node >= 18, with no npm package
// installed beside it. The control plane serves this file at GET /v1/agent/xplane-agent.mjs.
import { errorText } from '../errors.js';
import { agentCommand, agentHelp } from './command.js';

const out = (line: string): boolean => process.stdout.write(`${line}\n`);
const err = (line: string): boolean => process.stderr.write(`${line}\n`);

/** The package version, set by the bundler (`define`); `dev` when run from the sources. */
declare const XPLANE_VERSION: string | undefined;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  out(agentHelp.replace('Usage: xplane agent', 'Usage: node xplane-agent.mjs'));
} else if (argv.includes('--version')) {
  out(`xplane-agent ${typeof XPLANE_VERSION === 'string' ? XPLANE_VERSION : 'dev'}`);
} else {
  try {
    process.exitCode = await agentCommand(argv);
  } catch (e) {
    // Usage and settings mistakes: say what is wrong, exit 2 like `xplane agent`.
    err(`xplane-agent: ${errorText(e)}`);
    process.exitCode = (e as { code?: unknown }).code === 'XP_ERR_USAGE' ? 2 : 1;
  }
}
