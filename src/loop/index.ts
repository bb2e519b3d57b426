// Public face of the pass loop shared by sync and the controllers.
export { PassLoop, LoopSlot, done, requeue, errorText, type PassResult, type PassLoopOptions } from './pass-loop.js';
