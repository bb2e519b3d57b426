#!/usr/bin/env node
// Builds dist/ (the CLI the tests spawn runs it), type-checks everything, then
// runs every *.test.ts under src/, test/ and program/ with node's own test
// runner (through tsx). Extra arguments are file filters: `npm test -- store`
// runs only test files whose path has "store" (and skips the full type check).
// The last lines say what was skipped and why; under CI (env CI set) a skip
// fails the run, because CI must exercise everything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const skipTypecheck = process.argv.includes('--no-typecheck') || filters.length > 0;
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

function step(what, args) {
  console.log(what);
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

step('build: tsc -p tsconfig.build.json', [tsc, '-p', 'tsconfig.build.json']);
step('build: scripts/bundle.js', [join(root, 'scripts/bundle.js')]);
if (!skipTypecheck) step('typecheck: tsc --noEmit', [tsc, '--noEmit', '-p', 'tsconfig.json']);

const files = ['src', 'test', 'program']
  .flatMap((d) => findTests(join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'xplane-tests-'));
const skipFile = join(scratch, 'skipped.json');
// One file at a time: the end-to-end files use the playground's fixed loopback addresses.
const run = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/skip-reporter.js')}`,
    `--test-reporter-destination=${skipFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, XPLANE_LOG_LEVEL: process.env.XPLANE_LOG_LEVEL ?? 'silent' } },
);
let skipped = [];
try {
  skipped = JSON.parse(readFileSync(skipFile, 'utf8'));
} catch {
  // the runner died before the reporter finished: its own output says why
}
rmSync(scratch, { recursive: true, force: true });

let status = run.status ?? 1;
if (skipped.length === 0) {
  console.log(`\nskipped: none (${files.length} test files)`);
} else {
  const byReason = new Map();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s]);
  const suites = skipped.filter((s) => s.type === 'suite').length;
  console.log(`\nskipped: ${suites} suite(s) and ${skipped.length - suites} test(s) did NOT run:`);
  for (const [reason, list] of byReason) {
    console.log(`  ${list.length} × ${reason}`);
    for (const s of list) console.log(`      ${s.type} "${s.name}" (${relative(root, s.file.replace(/^file:\/\//, ''))})`);
  }
  if (process.env.CI) {
    console.log('CI is set: a skipped test is a failure here.');
    if (status === 0) status = 1;
  }
}
process.exit(status);
