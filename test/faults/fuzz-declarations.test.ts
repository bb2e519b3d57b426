// Fault: declarations that are wrong in every way a YAML file can be — values
// of the wrong type or range, typos in keys, broken indentation, huge numbers,
// unicode, duplicate keys, anchors and alias bombs ("billion laughs"), binary
// junk. Validation never throws, every problem says file:line:col and (unless
// it is about the whole file) a key path, and a repo that fails keeps the last
// good configuration in force through a real sync.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { formatIssue, parseDeclarations, type ConfigIssue, type SourceFile, MAX_FILE_CHARS, parseYamlSource } from '../../src/config/index.js';
import { GitMirror, GitopsSync } from '../../src/gitops/index.js';
import { silentLogger } from '../../src/log/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, makeGitFixture, tempDir, type GitFixture } from '../../src/testing/index.js';

const TARGETS = ['platform-config/gtm/svc-plus.yaml', 'platform-config/autoscale/svc-plus.yaml', 'platform-config/regions/jp.yaml'] as const;
const OTHERS = ['platform-config/regions/sg.yaml', 'stacks/Pulumi.jp.yaml', 'stacks/Pulumi.sg.yaml'];

/** The repo's own valid declarations, by path. */
const SEED: Record<string, string> = Object.fromEntries([...TARGETS, ...OTHERS].map((p) => [p, readFileSync(join(REPO_ROOT, p), 'utf8')]));

// ---- mutations ----------------------------------------------------------------

/** Values to put where a scalar was: wrong types, edges, huge numbers, unicode, YAML oddities. */
const WEIRD_VALUES = [
  '-1',
  '0',
  '1.5',
  '1e308',
  '1e309',
  '-1e309',
  '99999999999999999999999999',
  '0x1F',
  '0o17',
  '.inf',
  '-.inf',
  '.nan',
  '1_000',
  'true',
  'no',
  'yes',
  'null',
  '~',
  '""',
  "''",
  '[]',
  '{}',
  '[1, 2',
  '{a: 1',
  '"unterminated',
  '|',
  '>-',
  '!!binary aGk=',
  '!!str 5',
  '!custom x',
  '&a 5',
  '*a',
  '*nope',
  '5s',
  '5x',
  '-5s',
  '1h1m',
  '0ms',
  '10m',
  '9999999999h',
  'jp',
  'JP',
  'svc plus',
  '"\u00e9t\u00e9 \u65e5\u672c \u{1F600}"',
  '"\u202e\u200b"',
  '"\\u0000"',
  '"a\\nb"',
  'x'.repeat(500),
  '"' + 'y'.repeat(5_000) + '"',
  '2001-12-14t21:59:43.10-05:00',
  '<<: *a',
  '? complex key',
  '- item',
];

const WEIRD_KEYS = ['__proto__', 'constructor', 'prototype', 'servce', 'Service', 'weight ', '"quoted key"', '日本', '1', '~', '<<', '? x', ''];

type Mutation =
  | { kind: 'value'; line: number; value: string }
  | { kind: 'key'; line: number; key: string }
  | { kind: 'indent'; line: number; delta: number }
  | { kind: 'tab'; line: number }
  | { kind: 'delete'; line: number }
  | { kind: 'duplicate'; line: number }
  | { kind: 'insert'; line: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'anchor'; line: number; other: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('value' as const),
      line: fc.nat(),
      value: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...WEIRD_VALUES) },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
        { weight: 1, arbitrary: fc.double().map(String) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('key' as const), line: fc.nat(), key: fc.oneof(fc.constantFrom(...WEIRD_KEYS), fc.string({ maxLength: 10 })) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('indent' as const), line: fc.nat(), delta: fc.integer({ min: -4, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tab' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), line: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      line: fc.nat(),
      text: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.constantFrom('---', '...', '%YAML 1.1', '# comment', '  - x', 'x: &a [*a]', '\u0000', '\uFEFF'),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('anchor' as const), line: fc.nat(), other: fc.nat() }) },
);

const KEY_VALUE = /^(\s*-?\s*)([^:#\s][^:#]*?):(\s*)(.*?)(\s+#.*)?$/;

/** Applies one mutation to YAML text, line-wise. */
function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  if (m.kind === 'truncate') return text.slice(0, m.at % (text.length + 1));
  const i = ('line' in m ? m.line : 0) % Math.max(lines.length, 1);
  const line = lines[i] ?? '';
  const kv = KEY_VALUE.exec(line);
  switch (m.kind) {
    case 'value':
      if (kv) lines[i] = `${kv[1]}${kv[2]}: ${m.value}`;
      else lines[i] = `${line.match(/^\s*-?\s*/)?.[0] ?? ''}${m.value}`;
      break;
    case 'key':
      if (kv) lines[i] = `${kv[1]}${m.key}:${kv[3]}${kv[4]}`;
      break;
    case 'indent':
      lines[i] = m.delta >= 0 ? `${' '.repeat(m.delta)}${line}` : line.replace(new RegExp(`^ {0,${-m.delta}}`), '');
      break;
    case 'tab':
      lines[i] = `\t${line.trimStart()}`;
      break;
    case 'delete':
      lines.splice(i, 1);
      break;
    case 'duplicate':
      lines.splice(i, 0, line);
      break;
    case 'insert':
      lines.splice(i, 0, m.text);
      break;
    case 'anchor': {
      // Anchor one value and refer to it from another key: aliases in the middle of a declaration.
      const j = m.other % lines.length;
      const target = KEY_VALUE.exec(lines[j] ?? '');
      if (kv && target && kv[4] !== '') {
        lines[i] = `${kv[1]}${kv[2]}: &v${i} ${kv[4]}`;
        if (j !== i) lines[j] = `${target[1]}${target[2]}: *v${i}`;
      }
      break;
    }
  }
  return lines.join('\n');
}

/** Whole-file horrors that line mutations would not reach. */
const WHOLE_FILES: Record<string, string> = {
  'billion laughs': [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...Array.from(
      { length: 9 },
      (_, k) =>
        `${String.fromCharCode(98 + k)}: &${String.fromCharCode(98 + k)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + k)}`)
          .join(',')}]`,
    ),
    'service: *j',
  ].join('\n'),
  'quadratic blowup': `x: &x "${'z'.repeat(10_000)}"\n${Array.from({ length: 2_000 }, (_, k) => `k${k}: *x`).join('\n')}\n`,
  'self-referencing anchor': 'service: &s [*s]\n',
  'merge-key bomb': `base: &b {${Array.from({ length: 50 }, (_, k) => `k${k}: ${k}`).join(', ')}}\n${Array.from({ length: 500 }, (_, k) => `m${k}: {<<: *b}`).join('\n')}\n`,
  'deep nesting': `${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
  'deep block nesting': Array.from({ length: 2_000 }, (_, k) => `${' '.repeat(k)}k${k}:`).join('\n') + ' 1\n',
  'a huge file': `service: svc-plus\n${Array.from({ length: 50_000 }, (_, k) => `k${k}: ${k}`).join('\n')}\n`,
  'a big file just under the size limit': `service: svc-plus\n${Array.from({ length: 40_000 }, (_, k) => `k${k}: ${k}`).join('\n')}\n`.slice(0, MAX_FILE_CHARS),
  'binary junk': Buffer.from(Array.from({ length: 4_096 }, (_, k) => (k * 151 + 7) % 256)).toString('latin1'),
  'a BOM and CRLF': `\uFEFF${SEED['platform-config/regions/jp.yaml']?.replaceAll('\n', '\r\n')}`,
  'two documents': `${SEED['platform-config/regions/jp.yaml']}\n---\nname: jp\n`,
  'a list at the root': '- name: jp\n- provider: aws\n',
  'a scalar at the root': 'just a string\n',
  'only comments': '# nothing here\n',
  empty: '',
  'duplicate keys': `${SEED['platform-config/regions/jp.yaml']}name: jp\nprovider: local\n`,
  'a tab for indentation': 'name: jp\nlabels:\n\ttier: general\n',
};

// ---- checking an outcome ----------------------------------------------------------

/** Whether a file's problems may be about the file as a whole (no key path): it is not YAML, or not a map. */
function wholeFileProblems(file: SourceFile): boolean {
  const source = parseYamlSource(file);
  const value = source.value;
  return source.issues.length > 0 || typeof value !== 'object' || value === null || Array.isArray(value);
}

/** Validates `files` and checks the shape of every problem; returns the issues. */
function validate(files: SourceFile[]): ConfigIssue[] {
  let result;
  try {
    result = parseDeclarations(files);
  } catch (err) {
    assert.fail(`validation threw: ${err instanceof Error ? err.stack : String(err)}`);
  }
  if (result.ok) return [];
  assert.ok(result.issues.length > 0);
  const byPath = new Map(files.map((f) => [f.path, { file: f, lines: f.text.split(/\r\n|\r|\n/), whole: wholeFileProblems(f) }]));
  for (const issue of result.issues) {
    const entry = byPath.get(issue.file);
    assert.ok(entry, `names a file of the repo: ${formatIssue(issue)}`);
    const { lines, whole } = entry;
    assert.ok(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines.length + 1, `line in the file: ${formatIssue(issue)}`);
    const lineText = lines[issue.line - 1] ?? '';
    assert.ok(
      Number.isInteger(issue.col) && issue.col >= 1 && issue.col <= lineText.length + 2,
      `column in the line: ${formatIssue(issue)} (line is ${JSON.stringify(lineText.slice(0, 80))})`,
    );
    assert.ok(issue.message.trim().length > 0, `says what is wrong: ${formatIssue(issue)}`);
    assert.ok(!issue.message.includes('\n'), `one line: ${JSON.stringify(issue.message)}`);
    if (issue.path === '') assert.ok(whole, `a problem inside a YAML map names its key path: ${formatIssue(issue)}`);
    assert.match(formatIssue(issue), /^[^\s:]+:\d+:\d+ /);
  }
  return result.issues;
}

function repoWith(path: string, text: string): SourceFile[] {
  return Object.entries({ ...SEED, [path]: text }).map(([p, t]) => ({ path: p, text: t }));
}

const mutatedFile = fc
  .record({
    path: fc.constantFrom(...TARGETS),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  })
  .map(({ path, mutations }) => ({ path, text: mutations.reduce(mutate, SEED[path] ?? ''), mutations }));

// ---- tests ------------------------------------------------------------------------------

describe('fuzzed declarations', () => {
  it('the seed repo is valid (the fuzz starts from something good)', () => {
    assert.deepEqual(validate(repoWith(TARGETS[0], SEED[TARGETS[0]] ?? '')), []);
  });

  it('never throws, and every problem names file:line:col and a key path, whatever a file is mutated into', () => {
    fc.assert(
      fc.property(mutatedFile, (m) => {
        validate(repoWith(m.path, m.text));
      }),
      { numRuns: 600 },
    );
  });

  for (const [name, text] of Object.entries(WHOLE_FILES)) {
    it(`survives ${name} in a declaration, quickly`, () => {
      for (const path of TARGETS) {
        const started = performance.now();
        const issues = validate(repoWith(path, text));
        const ms = performance.now() - started;
        assert.ok(ms < 5_000, `${path}: took ${Math.round(ms)} ms`);
        if (name !== 'a BOM and CRLF') assert.ok(issues.length > 0, `${name} in ${path} is refused`);
      }
    });
  }

  it('points duplicate keys at the second occurrence', () => {
    const text = `${SEED['platform-config/regions/jp.yaml']}name: jp\n`;
    const issues = validate(repoWith('platform-config/regions/jp.yaml', text));
    const line = text.split('\n').length - 1;
    assert.ok(
      issues.some((i) => i.line === line && i.col === 1 && i.path === 'name' && /expected each key once/.test(i.message)),
      issues.map(formatIssue).join('\n'),
    );
  });
});

describe('a fuzzed repo that fails keeps the last good configuration in force', () => {
  let fixture: GitFixture;
  let dir: string;
  let store: SqliteStore;
  let sync: GitopsSync;
  before(() => {
    fixture = makeGitFixture();
    dir = tempDir('xplane-fuzz-sync-');
    store = SqliteStore.open(join(dir, 'xplane.db'));
    sync = new GitopsSync({ mirror: new GitMirror(fixture.bare, 'main', join(dir, 'mirror')), store, log: silentLogger() });
  });
  after(async () => {
    await store.close();
    fixture.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects each broken commit as a whole, keeps the good snapshot, and takes the next good commit', async () => {
    const first = await sync.syncOnce();
    assert.equal(first.status, 'changed');
    const good = await store.latestSnapshot();
    assert.ok(good);

    const broken = fc
      .sample(mutatedFile, { numRuns: 200, seed: 42 })
      .filter((m) => !parseDeclarations(repoWith(m.path, m.text)).ok)
      .slice(0, 4)
      .map((m) => ({ path: m.path, text: m.text }));
    broken.push({ path: 'platform-config/autoscale/svc-plus.yaml', text: WHOLE_FILES['billion laughs'] ?? '' });
    broken.push({ path: 'platform-config/gtm/svc-plus.yaml', text: WHOLE_FILES['duplicate keys'] ?? '' });
    assert.equal(broken.length, 6);

    for (const b of broken) {
      const commit = fixture.commit({ ...SEED, [b.path]: b.text }, `human: break ${b.path}`);
      const outcome = await sync.syncOnce();
      assert.equal(outcome.status, 'invalid', JSON.stringify(outcome).slice(0, 500));
      assert.equal(outcome.commit, commit);
      assert.equal(outcome.inForce, good.commit);
      const inForce = await store.latestSnapshot();
      assert.equal(inForce?.commit, good.commit, 'the last good commit stays in force');
      assert.deepEqual(inForce.declarations, good.declarations, 'with exactly its declarations');
      const [recorded] = await store.recentSyncs(1);
      assert.equal(recorded?.status, 'invalid');
      assert.ok(recorded.issues.length > 0);
      for (const issue of recorded.issues) assert.match(formatIssue(issue), /^platform-config\/[^:]+:\d+:\d+ /);
    }

    const fixed = fixture.commit(
      { ...SEED, 'platform-config/regions/jp.yaml': (SEED['platform-config/regions/jp.yaml'] ?? '').replace('max_nodes: 20', 'max_nodes: 21') },
      'human: fix',
    );
    const last = await sync.syncOnce();
    assert.equal(last.status, 'changed');
    assert.equal((await store.latestSnapshot())?.commit, fixed);
    assert.equal((await store.latestSnapshot())?.declarations.regions.jp?.max_nodes, 21);
  });

  it('`xplane validate` exits 1 with file:line:col lines for a broken checkout, and 0 for the seed', async () => {
    const checkout = tempDir('xplane-fuzz-validate-');
    try {
      const write = (files: Record<string, string>): void => {
        for (const [p, t] of Object.entries(files)) {
          mkdirSync(dirname(join(checkout, p)), { recursive: true });
          writeFileSync(join(checkout, p), t);
        }
      };
      write(SEED);
      const ok = await runCli(['validate', checkout]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      write({
        'platform-config/autoscale/svc-plus.yaml': WHOLE_FILES['billion laughs'] ?? '',
        'platform-config/regions/jp.yaml': WHOLE_FILES['duplicate keys'] ?? '',
      });
      const bad = await runCli(['validate', checkout]);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      const problems = bad.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('invalid:'));
      assert.ok(problems.length >= 2, bad.stdout);
      for (const line of problems) assert.match(line, /^platform-config\/(autoscale\/svc-plus|regions\/jp)\.yaml:\d+:\d+ /);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});
