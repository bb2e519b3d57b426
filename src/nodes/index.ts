// Public face of nodes: the registry, its state machine, metrics windows and
// the active prober, and a follower's view of down nodes.
export { NodeRegistry, type Registration, type HeartbeatInput, type RegistryOptions } from './registry.js';
export { DEFAULT_HEALTH, DEFAULT_WINDOW_MS } from './service-policy.js';
export type { RegisterInput } from './registrar.js';
export type { NodeView, NodeObservationFacts, NodeCount } from './node-view.js';
export type { NodeTransition } from './liveness-tracker.js';
export { step, initialLiveness, type Liveness, type LivenessEvent, type LivenessPolicy, type Transition } from './liveness.js';
export { MetricsWindow, aggregateRegion, type Sample, type WindowAverage, type RegionMetrics } from './metrics-window.js';
export { splitAddress, isValidAddress } from './address.js';
export { probeOnce, type ProbeOutcome } from './probe.js';
export { Prober, type ProbeTarget, type ProberOptions } from './prober.js';
export { newToken, hashToken, secretsEqual, hashesEqual } from './tokens.js';
export { StoreDownView, DOWN_VIEW_INTERVAL_MS, type StoreDownViewOptions } from './down-view.js';
