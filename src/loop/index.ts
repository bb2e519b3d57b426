// Public face of the pass loop shared by sync and the controllers, and the one backoff formula.
export { PassLoop, LoopSlot, done, type PassResult, type PassLoopOptions } from './pass-loop.js';
export { backoffDelay, EQUAL_JITTER, type BackoffPolicy } from './backoff.js';
