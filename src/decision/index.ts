// Public face of decisions: the shared value types of both controllers and
// the commit message they make.
export type {
  Controller,
  PoolKey,
  PoolPatch,
  GtmKind,
  AutoscaleKind,
  GtmDecision,
  AutoscaleDecision,
  ControllerDecision,
  Decision,
  NodeObservation,
  PoolView,
} from './types.js';
export { commitMessage } from './commit-message.js';
export { changeOf, historyEntry, type HistoryEntry } from './history.js';
