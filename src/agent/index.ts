// Public face of the node agent (contract §5 client side, §6 `xplane agent`).
export { Agent, MIN_HEARTBEAT_MS, type AgentEvent, type AgentOptions, type AgentResult, type Sleep } from './agent.js';
export { parseAddress, formatAddress, type HostPort } from './address.js';
export { backoffDelay, parseRetryAfter, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export type { NodeRequestHandler } from './listener.js';
export type { FetchLike, Registration, RegisterRequest } from './node-api.js';
export { ProcStats, parseProcStat, parseMeminfo, cpuBusyFraction, type CpuTimes, type ProcStatsOptions } from './proc-stats.js';
export { LoadSimulator, loadStats, DEFAULT_CAPACITY, type LoadSimulatorOptions, type LoadWindow } from './simulate-load.js';
export { sanitizeStats, type NodeStats, type StatsSource } from './stats.js';
export { agentCommand, agentHelp, resolveAgentConfig, type AgentCommandDeps } from './command.js';
