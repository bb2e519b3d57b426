// Public face of the load generator.
export { runLoad, type LoadOptions, type LoadSecond, type LoadTotals } from './load.js';
