#!/usr/bin/env node
// After tsc, two kinds of single-file bundles (esbuild):
// 1. The compiled modules of the commands that must start fast or stay small
//    are rewritten as single files with their npm dependencies inside
//    (validate: zod and yaml). Loading one file instead of a few hundred small
//    ones halves their start-up. Same path, same exports: the CLI's dispatcher
//    does not know the difference. Packages that load files at run time
//    (Pulumi, pg, fastify) are never bundled: these commands do not use them.
// 2. dist/agent/xplane-agent.mjs: the node agent as one ES module for Node >= 18
//    that imports nothing but `node:` modules (checked here), which nodes fetch
//    from the control plane and run with their distribution's own Node.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Command modules bundled in place of tsc's output. */
const COMMANDS = ['validate', 'agent'];

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

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

const agent = join(root, 'dist/agent/xplane-agent.mjs');
const result = await build({
  entryPoints: [join(root, 'src/agent/main.ts')],
  outfile: agent,
  bundle: true,
  format: 'esm',
  platform: 'node',
  // Debian 12's packaged Node.js.
  target: 'node18',
  minify: true,
  legalComments: 'none',
  define: { XPLANE_VERSION: JSON.stringify(version) },
  banner: { js: `// xplane-agent ${version}: the xplane node agent in one file (node xplane-agent.mjs --help).` },
  metafile: true,
  logLevel: 'warning',
});
const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const foreign = imports.filter((path) => !path.startsWith('node:'));
if (foreign.length > 0) {
  console.error(`bundle: dist/agent/xplane-agent.mjs imports ${foreign.join(', ')}; the agent may import only node: modules`);
  process.exit(1);
}
