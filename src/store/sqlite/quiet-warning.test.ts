import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isSqliteExperimentalWarning } from './quiet-warning.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const QUIET = new URL('./quiet-warning.ts', import.meta.url).href;
const SQLITE_WARNING = 'SQLite is an experimental feature';
const LOAD_SQLITE = "const { DatabaseSync } = process.getBuiltinModule('node:sqlite'); new DatabaseSync(':memory:').close();";
const OTHER_WARNINGS = [
  "process.emitWarning('x');",
  "process.emitWarning('Foo is an experimental feature', 'ExperimentalWarning');",
  "process.emitWarning('old API', 'DeprecationWarning', 'DEP0999');",
].join(' ');

/** The stderr of a fresh `node` running `script` as a module, with process ids made comparable. */
function stderrOf(script: string, flags: string[] = []): string {
  const run = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr.replace(/\(node:\d+\)/g, '(node:PID)');
}

describe('quiet-warning', () => {
  it('hides the warning Node prints when node:sqlite is loaded', (t) => {
    if (!stderrOf(LOAD_SQLITE).includes(SQLITE_WARNING)) t.skip(`node ${process.version} does not warn about node:sqlite`);
    assert.ok(!stderrOf(`import '${QUIET}'; ${LOAD_SQLITE}`).includes(SQLITE_WARNING));
  });

  it('prints every other warning exactly as Node prints it', () => {
    const plain = stderrOf(OTHER_WARNINGS);
    assert.match(plain, /^\(node:PID\) Warning: x$/m);
    assert.match(plain, /^\(node:PID\) ExperimentalWarning: Foo is an experimental feature$/m);
    assert.match(plain, /^\(node:PID\) \[DEP0999\] DeprecationWarning: old API$/m);
    assert.equal(stderrOf(`import '${QUIET}'; ${LOAD_SQLITE} ${OTHER_WARNINGS}`), plain);
  });

  it('keeps --no-warnings silent', () => {
    assert.equal(stderrOf(`import '${QUIET}'; ${LOAD_SQLITE} ${OTHER_WARNINGS}`, ['--no-warnings']), '');
  });

  it('recognises only the SQLite experimental warning', () => {
    const sqlite = Object.assign(new Error(`${SQLITE_WARNING} and might change at any time`), { name: 'ExperimentalWarning' });
    assert.equal(isSqliteExperimentalWarning(sqlite), true);
    assert.equal(isSqliteExperimentalWarning(Object.assign(new Error(sqlite.message), { name: 'Warning' })), false);
    assert.equal(isSqliteExperimentalWarning(Object.assign(new Error('Foo is an experimental feature'), { name: 'ExperimentalWarning' })), false);
  });
});
