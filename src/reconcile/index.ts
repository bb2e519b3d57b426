// Public face of the reconcile loop.
export { Reconciler, type ReconcilerDeps, type PassReport, type PlanPreview } from './reconciler.js';
export { planPass, patchesByRegion, type PassInput, type PassPlan, type ServicePlan } from './plan.js';
export { emptyMemory, rememberChanges, type LoopMemory } from './memory.js';
export { gatherFacts, type FleetFacts, type FleetSource, type SeenPass } from './facts.js';
export { ServiceStatus, type ServiceStatusView, type RegionStatusView } from './status.js';
export { DEFAULT_PANIC_THRESHOLD, evaluateFreeze, countFleet, type ControlPlaneHealth, type Freeze, type FreezeReason, type FleetCount } from './safety.js';
export { memoryFromDecisions, RESTORE_DECISIONS } from './memory-from-decisions.js';
