// Public face of the autoscaler: the pure pass and its value types. The executor
// (read → computeAutoscale → apply the patches, drain, delete) lives with the loop.
export { computeAutoscale, isScaleChange, type AutoscaleInput, type AutoscaleResult, type RegionPlan } from './compute.js';
