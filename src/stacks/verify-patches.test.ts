// The check that an edited stack file says what the patches meant: the cheap
// path (re-reading only the edited pools) must never pass a file the whole-file
// check would refuse, and a wrong splice must still throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PoolPatch } from '../decision/index.js';
import { planEdits } from './apply-patches.js';
import { readPools } from './read-pools.js';
import { parseStackText } from './stack-file.js';
import { SEED, STACK } from './test-fixtures.js';
import { applyEdits } from './text-edits.js';
import { verifiedInPlace, verifyPatched, verifyWhole, type PoolEdit } from './verify-patches.js';

/** An edit replacing the one occurrence of `from` (at its `nth` character) in `source`. */
function replacing(source: string, from: string, to: string, service?: string): PoolEdit {
  const start = source.indexOf(from);
  assert.ok(start !== -1 && source.indexOf(from, start + 1) === -1, `fixture must hold ${JSON.stringify(from)} once`);
  return { start, end: start + from.length, text: to, service };
}

function check(source: string, edits: PoolEdit[], patches: Record<string, PoolPatch>): { result: string; inPlace: boolean } {
  const st = parseStackText(source);
  const result = applyEdits(source, edits);
  return { result, inPlace: verifiedInPlace(st, result, edits, patches) };
}

/** Four pools, so patches hit pools with unchanged ones between them. */
const FOUR = STACK.replace(
  '\n  db:password:',
  `    svc-b:
      weight: 5   # b
      nodes: [jp-svc-b-1]

      excluded: []
    # between b and c
    svc-c:
      weight: 6
      nodes:
        - jp-svc-c-1
      excluded: [jp-svc-c-1]
      owner: team-c
\n  db:password:`,
);

describe('verifyPatched', () => {
  it('vouches for edits inside existing pools by re-reading only those pools', () => {
    const patches = { 'svc-plus': { weight: 7, nodes: ['jp-svc-plus-1'] }, 'svc-api': { nodes: ['jp-svc-api-1', 'jp-svc-api-2', 'jp-svc-api-3'] } };
    const st = parseStackText(STACK);
    const edits = planEdits(st, 'jp', patches);
    assert.ok(edits.every((e) => e.service !== undefined));
    const result = applyEdits(STACK, edits);
    assert.equal(verifiedInPlace(st, result, edits, patches), true);
    assert.deepEqual(readPools(result)['svc-api']?.nodes, ['jp-svc-api-1', 'jp-svc-api-2', 'jp-svc-api-3']);
  });

  it('vouches for edits in pools with unchanged pools between them', () => {
    const patches = { 'svc-plus': { weight: 1 }, 'svc-c': { nodes: [], excluded: [] } };
    const st = parseStackText(FOUR);
    const edits = planEdits(st, 'jp', patches);
    const result = applyEdits(FOUR, edits);
    assert.equal(verifiedInPlace(st, result, edits, patches), true);
    assert.deepEqual(readPools(result)['svc-c'], { weight: 6, nodes: [], excluded: [] });
    assert.deepEqual(readPools(result)['svc-b'], readPools(FOUR)['svc-b']);
  });

  it('leaves a new pool to the whole-file check', () => {
    const patches = { 'svc-new': { weight: 1, nodes: ['jp-svc-new-1'] } };
    const st = parseStackText(SEED);
    const edits = planEdits(st, 'jp', patches);
    assert.ok(edits.some((e) => e.service === undefined));
    assert.equal(verifiedInPlace(st, applyEdits(SEED, edits), edits, patches), false);
  });

  it('throws when a splice writes a different value than the patch', () => {
    const edits = [replacing(SEED, '100', '10', 'svc-plus')];
    const { result, inPlace } = check(SEED, edits, { 'svc-plus': { weight: 100 } });
    assert.equal(inPlace, false);
    assert.throws(
      () => verifyPatched(parseStackText(SEED), result, edits, { 'svc-plus': { weight: 100 } }),
      /editing svc-plus.weight did not give the patched value/,
    );
  });

  it('throws when a splice breaks the YAML inside a pool', () => {
    const edits = [replacing(SEED, '[jp-svc-plus-1]', '[jp-svc-plus-1, jp-svc-plus-2', 'svc-plus')];
    const patches = { 'svc-plus': { nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'] } };
    const { result, inPlace } = check(SEED, edits, patches);
    assert.equal(inPlace, false);
    assert.throws(() => verifyPatched(parseStackText(SEED), result, edits, patches), /the edited stack file does not parse/);
  });

  it('throws when a splice opens a quote that swallows the next pool', () => {
    const edits = [replacing(STACK, 'weight: 100 ', 'weight: "100 ', 'svc-plus')];
    const patches = { 'svc-plus': { weight: 100 }, 'svc-api': { weight: 50 } };
    const { result, inPlace } = check(STACK, edits, patches);
    assert.equal(inPlace, false);
    assert.throws(() => verifyPatched(parseStackText(STACK), result, edits, patches));
  });

  it('throws when a splice moves a key out of its pool', () => {
    const edits = [replacing(SEED, '      excluded: []', '    excluded: []', 'svc-plus')];
    const patches = { 'svc-plus': { excluded: [] } };
    const { result, inPlace } = check(SEED, edits, patches);
    assert.equal(inPlace, false, 'a line at the pool keys’ indentation is not vouched for');
    assert.throws(() => verifyWhole(result, { 'svc-plus': { weight: 100, excluded: ['x'] } }));
  });

  it('leaves anchors to the whole-file check, since an alias elsewhere may use them', () => {
    const source = SEED.replace('excluded: []', 'excluded: &none []');
    const edits = [replacing(source, '100', '5', 'svc-plus')];
    assert.equal(check(source, edits, { 'svc-plus': { weight: 5 } }).inPlace, false);
  });

  it('never vouches for a file the whole-file check refuses, whatever the splice', () => {
    const names = fc.uniqueArray(fc.constantFrom('jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-api-1', 'jp-svc-api-2', 'jp-x-9'), { maxLength: 4 });
    const patch: fc.Arbitrary<PoolPatch> = fc.record({ weight: fc.integer({ min: 0, max: 500 }), nodes: names, excluded: names }, { requiredKeys: [] });
    const patches = fc.dictionary(fc.constantFrom('svc-plus', 'svc-api', 'svc-b', 'svc-c'), patch, { minKeys: 1, maxKeys: 4 });
    const noise = fc.constantFrom('', ' ', '  ', ']', '[', '"', "'", '\n', '\n    ', '\n      ', '#', ':', ': ', 'x', '&a ', '*a', '- ', ',', '{', '|');
    // One edit in four is left as planned, so the cheap path also sees correct files.
    const mutation = fc.record({
      skip: fc.nat({ max: 3 }),
      which: fc.nat(),
      startBy: fc.integer({ min: -4, max: 4 }),
      endBy: fc.integer({ min: -4, max: 4 }),
      at: fc.nat(),
      insert: noise,
      cut: fc.nat({ max: 3 }),
    });
    let vouched = 0;
    let wrongAndCaught = 0;
    for (const source of [SEED, STACK, FOUR]) {
      const st = parseStackText(source);
      fc.assert(
        fc.property(patches, mutation, (all, m) => {
          const edits = planEdits(st, 'jp', all);
          if (edits.length === 0) return;
          const i = m.which % edits.length;
          const e = edits[i];
          if (!e) return;
          if (m.skip === 0) {
            const result = applyEdits(source, edits);
            verifyWhole(result, all);
            assert.equal(
              verifiedInPlace(st, result, edits, all),
              edits.every((x) => x.service !== undefined),
            );
            vouched += 1;
            return;
          }
          const start = Math.max(0, e.start + m.startBy);
          const end = Math.min(source.length, Math.max(start, e.end + m.endBy));
          const at = m.at % (e.text.length + 1);
          const text = e.text.slice(0, at) + m.insert + e.text.slice(at + m.cut);
          const broken = edits.map((x, j) => (j === i ? { ...x, start, end, text } : x));
          let result: string;
          try {
            result = applyEdits(source, broken);
          } catch {
            return; // overlapping edits: applyEdits itself refuses
          }
          let whole = true;
          try {
            verifyWhole(result, all);
          } catch {
            whole = false;
          }
          if (verifiedInPlace(st, result, broken, all)) {
            vouched += 1;
            assert.ok(whole, `vouched for a file the whole-file check refuses:\n${result}`);
          } else if (!whole) wrongAndCaught += 1;
        }),
        { numRuns: 1000 },
      );
    }
    assert.ok(vouched > 200, `the cheap path was used ${vouched} times`);
    assert.ok(wrongAndCaught > 100, `broken splices seen: ${wrongAndCaught}`);
  });
});
