#!/usr/bin/env node
// The `xplane` command: runs the compiled CLI in dist/ (`npm run build`, which
// `npm install` runs in a checkout through `prepare`).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node keeps the compiled code of the modules on disk (in the OS temp folder) and reuses
// it on the next start: a command starts in about half the time.
module.enableCompileCache?.();

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`xplane: ${main.pathname} is missing; run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
