// Public face of the reconcile loop.
export { Reconciler, type ReconcilerDeps, type PassReport, type PlanPreview } from './reconciler.js';
export { planPass, emptyMemory, patchesByRegion, rememberChanges, type PassInput, type PassPlan, type LoopMemory, type ServicePlan } from './plan.js';
export { DEFAULT_PANIC_THRESHOLD, evaluateFreeze, countFleet, type ControlPlaneHealth, type Freeze, type FreezeReason, type FleetCount } from './safety.js';
export { memoryFromDecisions, RESTORE_DECISIONS } from './memory-from-decisions.js';
