// `xplane agent`: the node agent's command, which lives with the agent (src/agent/command.ts) because the
// one-file agent nodes run (dist/agent/xplane-agent.mjs) is the same code.
export { agentCommand, agentHelp } from '../../agent/index.js';
