// The playground's public face (`xplane demo`, `npm start`): start and stop it, and the seed of its repo.
export { ensurePlaygroundRepo, ensurePulumiCli, killPlayground, startDemo, stopDemo, XPLANE_ROOT, type DemoOptions } from './demo.js';
export { SEED_PATHS, writePlaygroundRepo, type PlaygroundDns } from './seed.js';
