// Node 22 prints "ExperimentalWarning: SQLite is an experimental feature" the
// first time node:sqlite is loaded, on every `xplane` start. Importing this
// module hides that one warning. Node prints warnings from a 'warning'
// listener of its own; that listener is moved behind a filter rather than
// replaced, so every other warning still prints exactly as Node prints it,
// with --trace-warnings, --redirect-warnings and --no-warnings still honoured.

/** True for the warning Node emits when node:sqlite is first loaded. */
export function isSqliteExperimentalWarning(warning: Error): boolean {
  return warning.name === 'ExperimentalWarning' && warning.message.startsWith('SQLite is an experimental feature');
}

// The listeners present now are Node's printer (none under --no-warnings) and
// any a caller added before the store was imported; all of them keep hearing
// every other warning, in the same order.
const printers = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning: Error) => {
  if (isSqliteExperimentalWarning(warning)) return;
  for (const print of printers) print.call(process, warning);
});
