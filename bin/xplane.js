#!/usr/bin/env node
// The `xplane` command. The sources are TypeScript run through tsx, so the
// installed command and `npm test` always execute the same code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
