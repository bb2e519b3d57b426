// Public face of converge: running the region stacks through the Pulumi
// Automation API (behind a narrow StackRunner), from CI or inline in serve.
export { converge, type ConvergeReporter } from './converge.js';
export { AutomationRunner } from './automation-runner.js';
export { inlineConverger, InlineConverger } from './inline.js';
export { PlainReporter, TtyReporter, summaryTable } from './progress.js';
export { findPulumiCli, pathWithCli, PulumiCliMissing } from './pulumi-cli.js';
export { discoverStacks, changedStacks } from './stacks.js';
export type { StackAction, StackResult } from './types.js';
export { describeResourceChange, type PropertyChange, type ResourceChange } from './resource-changes.js';
