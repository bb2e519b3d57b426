// A node:test reporter that writes nothing but a JSON list of what was skipped,
// one entry per skipped test or suite: {file, name, type, reason}. run-tests.js
// runs it beside the spec reporter and prints the list last, so a run that could
// not exercise something says so where a reader looks (node's own summary counts
// a skipped suite as nothing).
export default async function* skipReporter(source) {
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file, details } = event.data;
    if (skip === undefined || skip === false) continue;
    skipped.push({ file: file ?? '', name, type: details?.type ?? 'test', reason: typeof skip === 'string' ? skip : '(no reason given)' });
  }
  yield `${JSON.stringify(skipped)}\n`;
}
