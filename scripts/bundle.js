#!/usr/bin/env node
// After tsc: rewrites the compiled modules of the commands that must start
// fast or stay small as single bundled files, with their npm dependencies
// inside (validate: zod and yaml; agent: pino, zod). Loading one file instead
// of a few hundred small ones halves their start-up, and the agent holds less
// memory. Same path, same exports: the CLI's dispatcher does not know the
// difference. Packages that load files at run time (Pulumi, pg, fastify) are
// never bundled: these two commands do not use them.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Command modules bundled in place of tsc's output. */
const COMMANDS = ['validate', 'agent'];

for (const name of COMMANDS) {
  const outfile = join(root, 'dist/src/cli/commands', `${name}.js`);
  await build({
    entryPoints: [join(root, 'src/cli/commands', `${name}.ts`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    legalComments: 'linked',
    // Some dependencies are CommonJS that `require` Node's own modules: give the ES module a require.
    banner: { js: "import { createRequire as __xplaneRequire } from 'node:module'; const require = __xplaneRequire(import.meta.url);" },
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  // tsc's source map describes the unbundled module that is no longer there.
  rmSync(`${outfile}.map`, { force: true });
}
