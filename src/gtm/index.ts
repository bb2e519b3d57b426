// Public face of the GTM controller: the pure weight/exclusion decision and
// the in-memory application of its decisions.
export { computeGtm, type GtmInput, type GtmResult, type RegionStatus, type WeightFactors } from './compute.js';
export { applyDecisions } from './apply.js';
export { assessWeight, quantizeWeight, type WeightAssessment, type NodeCounts } from './weight.js';
