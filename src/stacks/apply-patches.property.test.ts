import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Pool } from '../config/index.js';
import type { PoolPatch } from '../decision/index.js';
import { applyPoolPatches } from './apply-patches.js';
import { readPools } from './read-pools.js';
import { SEED, STACK } from './test-fixtures.js';

const nodeName = fc.constantFrom('a', 'b', 'c', 'd').chain((s) => fc.integer({ min: 1, max: 6 }).map((n) => `jp-svc-${s}-${n}`));
const names = fc.uniqueArray(nodeName, { maxLength: 5 });
const patch: fc.Arbitrary<PoolPatch> = fc.record({ weight: fc.integer({ min: 0, max: 1000 }), nodes: names, excluded: names }, { requiredKeys: [] });
const patches = fc.dictionary(fc.constantFrom('svc-plus', 'svc-api', 'svc-new', 'svc-other'), patch, { maxKeys: 4 });

function expectedPools(before: Record<string, Pool>, all: Record<string, PoolPatch>): Record<string, Pool> {
  const out = { ...before };
  for (const [service, p] of Object.entries(all)) {
    const base = out[service] ?? { weight: 0, nodes: [], excluded: [] };
    out[service] = { weight: p.weight ?? base.weight, nodes: p.nodes ?? base.nodes, excluded: p.excluded ?? base.excluded };
  }
  return out;
}

/** The text before and after `xplane:pools`, which no patch may change. */
function outside(source: string): { head: string; tail: string } {
  const start = source.indexOf('  xplane:pools:');
  const end = source.indexOf('\n\n  db:password:');
  return { head: source.slice(0, start), tail: end === -1 ? '' : source.slice(end + 1) };
}

describe('applyPoolPatches (property)', () => {
  for (const [name, source] of [
    ['the seed file', SEED],
    ['a file with block lists, secrets and comments', STACK],
  ] as const) {
    it(`gives the patched pools and leaves every byte outside xplane:pools alone in ${name}`, () => {
      const before = readPools(source);
      const { head, tail } = outside(source);
      fc.assert(
        fc.property(patches, (all) => {
          const out = applyPoolPatches(source, 'jp', all);
          assert.deepEqual(readPools(out), expectedPools(before, all));
          assert.ok(out.startsWith(head), 'text before xplane:pools changed');
          assert.ok(out.endsWith(tail), 'text after xplane:pools changed');
          // Applying the decision again leaves nothing to do.
          assert.equal(applyPoolPatches(out, 'jp', all), out);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('makes the same edits to a CRLF file, with CRLF', () => {
    const crlf = (text: string): string => text.replace(/\n/g, '\r\n');
    fc.assert(
      fc.property(patches, (all) => {
        assert.equal(applyPoolPatches(crlf(STACK), 'jp', all), crlf(applyPoolPatches(STACK, 'jp', all)));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps patches composable: two steps give the same pools as their merge', () => {
    fc.assert(
      fc.property(patches, patches, (first, second) => {
        const stepwise = applyPoolPatches(applyPoolPatches(STACK, 'jp', first), 'jp', second);
        assert.deepEqual(readPools(stepwise), expectedPools(expectedPools(readPools(STACK), first), second));
      }),
      { numRuns: 200 },
    );
  });
});
