// Public face of simulate: a metrics trace replayed through the production
// controllers (planPass) on a simulated clock and fleet, its figures, and how
// `xplane simulate` reports one replay or two side by side.
export { replay, type ReplayInput, type ReplayResult, type TimedDecision } from './replay.js';
export type { RegionTally } from './tally.js';
export { comparisonText, decisionLine, mergeDecisions, replayText, timeText, type LabeledReplay, type MergedDecision } from './report.js';
export { readConfig, type ConfigSource } from './config-source.js';
