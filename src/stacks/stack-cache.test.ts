// Parsing a stack file once and using the parsed form many times: the same
// answers as from the text, and nothing the edit does leaks into the cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PoolPatch } from '../decision/index.js';
import { applyPoolPatches } from './apply-patches.js';
import { readPools } from './read-pools.js';
import { StackCache } from './stack-cache.js';
import { StackFileError, parseStack } from './stack-file.js';
import { SEED, STACK, STACK_POOLS } from './test-fixtures.js';

describe('StackCache', () => {
  it('parses a blob id once and hands back the same parsed file', () => {
    const cache = new StackCache();
    const first = cache.get('a1', STACK);
    assert.equal(cache.get('a1', STACK), first);
    assert.equal(cache.size, 1);
    assert.deepEqual(readPools(first), STACK_POOLS);
  });

  it('parses again when the text under an id is not the one it parsed', () => {
    const cache = new StackCache();
    const first = cache.get('a1', STACK);
    const other = cache.get('a1', SEED);
    assert.notEqual(other, first);
    assert.equal(other.source, SEED);
  });

  it('forgets the blobs no longer at the head', () => {
    const cache = new StackCache();
    const seed = cache.get('s', SEED);
    cache.get('t', STACK);
    cache.keepOnly(['s']);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('s', SEED), seed);
  });

  it('does not keep a file that does not parse, so it fails on every pass until fixed', () => {
    const cache = new StackCache();
    assert.throws(() => cache.get('bad', 'config: [\n'), StackFileError);
    assert.equal(cache.size, 0);
    assert.throws(() => cache.get('bad', 'config: [\n'), StackFileError);
  });
});

describe('a parsed stack in place of its text', () => {
  const names = fc.uniqueArray(fc.constantFrom('jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-api-1', 'jp-svc-new-1'), { maxLength: 3 });
  const patch: fc.Arbitrary<PoolPatch> = fc.record({ weight: fc.integer({ min: 0, max: 500 }), nodes: names, excluded: names }, { requiredKeys: [] });
  const patches = fc.dictionary(fc.constantFrom('svc-plus', 'svc-api', 'svc-new'), patch, { maxKeys: 3 });

  for (const [name, source] of [
    ['the seed file', SEED],
    ['a file with block lists', STACK],
  ] as const) {
    it(`gives the same edit as the text, and stays as parsed, for ${name}`, () => {
      const parsed = parseStack(source);
      const pools = readPools(parsed);
      fc.assert(
        fc.property(patches, (all) => {
          assert.equal(applyPoolPatches(parsed, 'jp', all), applyPoolPatches(source, 'jp', all));
          assert.deepEqual(readPools(parsed), pools, 'an edit must not change the parsed file it started from');
        }),
        { numRuns: 200 },
      );
    });
  }

  it('gives each reader its own pools, so changing them does not change the next read', () => {
    const parsed = parseStack(STACK);
    const first = readPools(parsed);
    first['svc-plus']?.nodes.push('jp-svc-plus-9');
    delete first['svc-api'];
    assert.deepEqual(readPools(parsed), STACK_POOLS);
  });

  it('returns the very text when nothing changes', () => {
    const parsed = parseStack(SEED);
    assert.equal(applyPoolPatches(parsed, 'jp', { 'svc-plus': { weight: 100 } }), SEED);
  });
});
