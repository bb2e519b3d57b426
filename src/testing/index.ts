// Test support shared by the unit tests beside the code (src/**/*.test.ts) and
// the integration tests in test/: real git repositories, a real Postgres per
// test, the example's declarations, node records and a seeded random source.
// Only tests import this folder; the build leaves it out.
export * from './config.js';
export * from './git-fixture.js';
export * from './postgres.js';
export * from './seeded-random.js';
export * from './store-records.js';
export * from './raw-http.js';
export * from './git-host-hooks.js';
