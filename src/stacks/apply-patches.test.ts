import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPoolPatches } from './apply-patches.js';
import { readPools } from './read-pools.js';
import { SEED, STACK } from './test-fixtures.js';

/**
 * `source` with its one occurrence of `from` replaced by `to`: comparing a
 * result with this checks the exact new text and that every byte before and
 * after the changed range is the original one.
 */
function spliced(source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  assert.ok(at !== -1, `fixture lacks ${JSON.stringify(from)}`);
  assert.equal(source.indexOf(from, at + 1), -1, `fixture has ${JSON.stringify(from)} more than once`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}

describe('applyPoolPatches: values in place', () => {
  it('changes only the weight digits and keeps the inline comment after them', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-plus': { weight: 0 } });
    assert.equal(out, spliced(STACK, '      weight: 100                  # GTM', '      weight: 0                  # GTM'));
  });

  it('keeps the comment of the seed file when the weight changes', () => {
    const out = applyPoolPatches(SEED, 'jp', { 'svc-plus': { weight: 25 } });
    assert.equal(out, spliced(SEED, 'weight: 100 ', 'weight: 25 '));
  });

  it('adds a node to a flow list and keeps it flow', () => {
    const out = applyPoolPatches(STACK, 'jp', {
      'svc-plus': { nodes: ['jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3'] },
    });
    assert.equal(out, spliced(STACK, 'nodes: [jp-svc-plus-1, jp-svc-plus-2]   #', 'nodes: [jp-svc-plus-1, jp-svc-plus-2, jp-svc-plus-3]   #'));
  });

  it('removes a node from a flow list', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-plus': { nodes: ['jp-svc-plus-2'] } });
    assert.equal(out, spliced(STACK, 'nodes: [jp-svc-plus-1, jp-svc-plus-2]   #', 'nodes: [jp-svc-plus-2]   #'));
  });

  it('turns an empty flow list into a one-item flow list and back into the original text', () => {
    const one = applyPoolPatches(STACK, 'jp', { 'svc-plus': { excluded: ['jp-svc-plus-2'] } });
    assert.equal(one, spliced(STACK, 'excluded: []                 #', 'excluded: [jp-svc-plus-2]                 #'));
    assert.equal(applyPoolPatches(one, 'jp', { 'svc-plus': { excluded: [] } }), STACK);
  });

  it('keeps the padding of a flow list written as [ a, b ]', () => {
    const source = SEED.replace('nodes: [jp-svc-plus-1]', 'nodes: [ jp-svc-plus-1 ]');
    const out = applyPoolPatches(source, 'jp', { 'svc-plus': { nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'] } });
    assert.equal(out, spliced(source, '[ jp-svc-plus-1 ]', '[ jp-svc-plus-1, jp-svc-plus-2 ]'));
  });

  it('appends to a block list on a new line with the same indentation and dash', () => {
    const out = applyPoolPatches(STACK, 'jp', {
      'svc-api': { nodes: ['jp-svc-api-1', 'jp-svc-api-2', 'jp-svc-api-3'] },
    });
    assert.equal(out, spliced(STACK, '        - jp-svc-api-2\n      excluded:', '        - jp-svc-api-2\n        - jp-svc-api-3\n      excluded:'));
  });

  it('keeps an unusual dash spacing when appending to a block list', () => {
    const source = STACK.replace('        - jp-svc-api-2\n      excluded:', '        -   jp-svc-api-2\n      excluded:').replace(
      '        - jp-svc-api-1   #',
      '        -   jp-svc-api-1   #',
    );
    const out = applyPoolPatches(source, 'jp', { 'svc-api': { nodes: ['jp-svc-api-1', 'jp-svc-api-2', 'x'] } });
    assert.equal(out, spliced(source, '        -   jp-svc-api-2\n', '        -   jp-svc-api-2\n        -   x\n'));
  });

  it('removes a block list item by deleting its line, inline comment included', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-api': { nodes: ['jp-svc-api-2'] } });
    assert.equal(out, spliced(STACK, '        - jp-svc-api-1   # the first one\n', ''));
  });

  it('replaces a removed block item and appends its successor in one edit', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-api': { nodes: ['jp-svc-api-1', 'jp-svc-api-3'] } });
    assert.equal(out, spliced(STACK, '        - jp-svc-api-2\n      excluded:', '        - jp-svc-api-3\n      excluded:'));
  });

  it('writes an emptied block list as [] on the key line', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-api': { excluded: [] } });
    assert.equal(out, spliced(STACK, '      excluded:\n        - jp-svc-api-2\n', '      excluded: []\n'));
  });

  it('rewrites the item lines of a reordered block list in one piece', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-api': { nodes: ['jp-svc-api-2', 'jp-svc-api-1'] } });
    assert.equal(out, spliced(STACK, '        - jp-svc-api-1   # the first one\n        - jp-svc-api-2\n', '        - jp-svc-api-2\n        - jp-svc-api-1\n'));
  });

  it('edits two pools at once', () => {
    const out = applyPoolPatches(STACK, 'jp', {
      'svc-plus': { weight: 0, excluded: ['jp-svc-plus-1'] },
      'svc-api': { weight: 100, excluded: [] },
    });
    let expected = spliced(STACK, 'weight: 100 ', 'weight: 0 ');
    expected = spliced(expected, 'excluded: []                 #', 'excluded: [jp-svc-plus-1]                 #');
    expected = spliced(expected, 'weight: 50\n', 'weight: 100\n');
    expected = spliced(expected, '      excluded:\n        - jp-svc-api-2\n', '      excluded: []\n');
    assert.equal(out, expected);
  });

  it('quotes a name the way yaml would when it cannot be plain', () => {
    const out = applyPoolPatches(SEED, 'jp', { 'svc-plus': { nodes: ['jp-svc-plus-1', 'a,b', '42'] } });
    assert.equal(out, spliced(SEED, 'nodes: [jp-svc-plus-1] ', 'nodes: [jp-svc-plus-1, "a,b", "42"] '));
    assert.deepEqual(readPools(out)['svc-plus']?.nodes, ['jp-svc-plus-1', 'a,b', '42']);
  });
});

describe('applyPoolPatches: no-op', () => {
  it('returns the identical string when every patched value equals the current one', () => {
    const same = {
      'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: [] },
      'svc-api': { weight: 50, nodes: ['jp-svc-api-1', 'jp-svc-api-2'], excluded: ['jp-svc-api-2'] },
    };
    assert.equal(applyPoolPatches(STACK, 'jp', same), STACK);
    assert.equal(applyPoolPatches(SEED, 'jp', { 'svc-plus': { weight: 100, excluded: [] } }), SEED);
    assert.equal(applyPoolPatches(STACK, 'jp', {}), STACK);
  });

  it('treats an empty list for a missing key as no change', () => {
    const source = SEED.replace(/ {6}excluded: .*\n/, '');
    assert.equal(applyPoolPatches(source, 'jp', { 'svc-plus': { excluded: [] } }), source);
  });
});

describe('applyPoolPatches: creating what is missing', () => {
  it('inserts a missing key after the last owned key with the pool indentation', () => {
    const source = STACK.replace('      excluded: []                 # GTM: nodes kept out of DNS\n', '');
    const out = applyPoolPatches(source, 'jp', { 'svc-plus': { excluded: ['jp-svc-plus-2'] } });
    assert.equal(out, STACK.replace('excluded: []                 # GTM: nodes kept out of DNS', 'excluded: [jp-svc-plus-2]'));
  });

  it('inserts missing keys after a block list and in contract order', () => {
    const source = STACK.replace('      weight: 50\n', '').replace('      excluded:\n        - jp-svc-api-2\n', '');
    const out = applyPoolPatches(source, 'jp', { 'svc-api': { excluded: ['jp-svc-api-1'], weight: 5 } });
    assert.equal(out, spliced(source, '        - jp-svc-api-2\n\n', '        - jp-svc-api-2\n      weight: 5\n      excluded: [jp-svc-api-1]\n\n'));
  });

  it('appends a missing pool at the end of xplane:pools with the sibling indentation', () => {
    const out = applyPoolPatches(STACK, 'jp', { 'svc-new': { nodes: ['jp-svc-new-1'], excluded: ['jp-svc-new-1'] } });
    assert.equal(
      out,
      spliced(
        STACK,
        '        - jp-svc-api-2\n\n',
        '        - jp-svc-api-2\n    svc-new:\n      weight: 0\n      nodes: [jp-svc-new-1]\n      excluded: [jp-svc-new-1]\n\n',
      ),
    );
  });

  it('follows a 4-space indentation when the file uses it', () => {
    const source = 'config:\n    xplane:region: jp\n    xplane:pools:\n        a:\n            weight: 1\n';
    const out = applyPoolPatches(source, 'jp', { b: { weight: 2 } });
    assert.equal(out, `${source}        b:\n            weight: 2\n            nodes: []\n            excluded: []\n`);
  });

  it('appends items after the last pool before a new pool planned at the same line end', () => {
    const out = applyPoolPatches(STACK, 'jp', {
      'svc-new': { weight: 1 },
      'svc-api': { excluded: ['jp-svc-api-2', 'jp-svc-api-1'] },
    });
    assert.equal(
      out,
      spliced(
        STACK,
        '        - jp-svc-api-2\n\n',
        '        - jp-svc-api-2\n        - jp-svc-api-1\n    svc-new:\n      weight: 1\n      nodes: []\n      excluded: []\n\n',
      ),
    );
  });

  it('fills a pools key that has no value yet', () => {
    const source = 'config:\n  xplane:region: jp\n  xplane:pools:   # none yet\n  aws:region: x\n';
    const out = applyPoolPatches(source, 'jp', { s: { weight: 3 } });
    assert.equal(
      out,
      'config:\n  xplane:region: jp\n  xplane:pools:   # none yet\n    s:\n      weight: 3\n      nodes: []\n      excluded: []\n  aws:region: x\n',
    );
  });

  it('fills a pool and a weight that have no value yet', () => {
    const pool = 'config:\n  xplane:pools:\n    s:   # soon\n    t:\n      weight:   # later\n';
    const out = applyPoolPatches(pool, 'jp', { s: { nodes: ['a'] }, t: { weight: 4 } });
    assert.equal(out, 'config:\n  xplane:pools:\n    s:   # soon\n      weight: 0\n      nodes: [a]\n      excluded: []\n    t:\n      weight: 4   # later\n');
  });

  it('turns an empty flow map of pools into a block map', () => {
    const source = 'config:\n  xplane:region: jp\n  xplane:pools: {}   # none yet\n';
    const out = applyPoolPatches(source, 'jp', { s: { weight: 3 } });
    assert.equal(out, 'config:\n  xplane:region: jp\n  xplane:pools:   # none yet\n    s:\n      weight: 3\n      nodes: []\n      excluded: []\n');
  });

  it('appends a missing xplane:pools to the end of config', () => {
    const source = STACK.slice(0, STACK.indexOf('  # Pools:')) + STACK.slice(STACK.indexOf('  db:password:'));
    const out = applyPoolPatches(source, 'jp', { 'svc-plus': { weight: 10, nodes: ['jp-svc-plus-1'] } });
    assert.equal(
      out,
      spliced(
        source,
        '# spacing Document.toString() would change\n',
        '# spacing Document.toString() would change\n  xplane:pools:\n    svc-plus:\n      weight: 10\n      nodes: [jp-svc-plus-1]\n      excluded: []\n',
      ),
    );
  });

  it('appends a missing config, with the region, to the document', () => {
    const source = '# region sg\nsecretsprovider: passphrase\nencryptionsalt: v1:abc=:v1:def:ghi==\n';
    const out = applyPoolPatches(source, 'sg', { 'svc-plus': { weight: 10 } });
    assert.equal(out, `${source}config:\n  xplane:region: sg\n  xplane:pools:\n    svc-plus:\n      weight: 10\n      nodes: []\n      excluded: []\n`);
  });

  it('starts a new line first when the file does not end with one', () => {
    const source = 'encryptionsalt: v1:abc';
    const out = applyPoolPatches(source, 'sg', { s: { weight: 1 } });
    assert.equal(out, 'encryptionsalt: v1:abc\nconfig:\n  xplane:region: sg\n  xplane:pools:\n    s:\n      weight: 1\n      nodes: []\n      excluded: []\n');
  });

  it('creates a minimal file when there is none', () => {
    const out = applyPoolPatches(undefined, 'jp', {
      'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1'], excluded: ['jp-svc-plus-1'] },
      'svc-api': { nodes: ['jp-svc-api-1'] },
    });
    assert.equal(
      out,
      [
        'config:',
        '  xplane:region: jp',
        '  xplane:pools:',
        '    svc-plus:',
        '      weight: 100',
        '      nodes: [jp-svc-plus-1]',
        '      excluded: [jp-svc-plus-1]',
        '    svc-api:',
        '      weight: 0',
        '      nodes: [jp-svc-api-1]',
        '      excluded: []',
        '',
      ].join('\n'),
    );
  });
});

describe('applyPoolPatches: line endings', () => {
  it('keeps CRLF line endings, also on the lines it adds', () => {
    const crlf = (text: string): string => text.replace(/\n/g, '\r\n');
    const patches = {
      'svc-plus': { weight: 7 },
      'svc-api': { nodes: ['jp-svc-api-2', 'jp-svc-api-3'] },
      'svc-new': { weight: 1 },
    };
    const out = applyPoolPatches(crlf(STACK), 'jp', patches);
    assert.equal(out, crlf(applyPoolPatches(STACK, 'jp', patches)));
    assert.ok(!/[^\r]\n/.test(out), 'every newline is CRLF');
    assert.equal(applyPoolPatches(out, 'jp', patches), out);
  });
});

describe('applyPoolPatches: files it refuses to edit', () => {
  it('names the YAML error and its line:col', () => {
    const broken = 'config:\n  xplane:pools:\n    svc-plus: [a,\n  b: c: d\n';
    assert.throws(() => applyPoolPatches(broken, 'jp', { 'svc-plus': { weight: 1 } }), {
      name: 'StackFileError',
      message: '4:3: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      line: 4,
      col: 3,
    });
  });

  it('refuses duplicate keys rather than guess which one counts', () => {
    assert.throws(() => applyPoolPatches('config:\n  a: 1\n  a: 2\n', 'jp', { s: { weight: 1 } }), {
      message: '3:3: not valid YAML: Map keys must be unique',
    });
  });

  it('points at xplane:pools when it is a list', () => {
    const source = 'config:\n  xplane:region: jp\n  xplane:pools:\n    - svc-plus\n';
    assert.throws(() => applyPoolPatches(source, 'jp', { 'svc-plus': { weight: 1 } }), {
      name: 'StackFileError',
      message: '4:5: config.xplane:pools is not a map (got a list)',
    });
  });

  it('points at a pool that is not a map', () => {
    const source = 'config:\n  xplane:pools:\n    svc-plus: 3\n';
    assert.throws(() => applyPoolPatches(source, 'jp', { 'svc-plus': { weight: 1 } }), {
      message: '3:15: config.xplane:pools.svc-plus is not a map (got number 3)',
    });
  });

  it('points at config when it is not a map', () => {
    assert.throws(() => applyPoolPatches('config: yes\n', 'jp', { s: { weight: 1 } }), {
      message: '1:9: config is not a map (got string "yes")',
    });
  });

  it('refuses to add keys to a non-empty flow map pool', () => {
    const source = 'config:\n  xplane:pools:\n    s: {weight: 1}\n';
    assert.throws(() => applyPoolPatches(source, 'jp', { s: { nodes: ['a'] } }), {
      message: '3:8: config.xplane:pools.s is a flow map ({...}); write it as a block map so xplane can add keys to it',
    });
    assert.equal(applyPoolPatches(source, 'jp', { s: { weight: 2 } }), 'config:\n  xplane:pools:\n    s: {weight: 2}\n');
  });

  it('refuses a list item that is not a string', () => {
    const source = 'config:\n  xplane:pools:\n    s:\n      weight: 1\n      nodes: [a, {b: 1}]\n';
    assert.throws(() => applyPoolPatches(source, 'jp', { s: { nodes: ['a'] } }), {
      message: '5:18: config.xplane:pools.s.nodes has an item that is not a string (got a map)',
    });
  });
});
