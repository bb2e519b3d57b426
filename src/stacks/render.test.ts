// New scalar text must read back as the value it was written for, quoted
// exactly as yaml's own stringifier would quote it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Document, parse } from 'yaml';
import { scalarText } from './render.js';

function byYaml(value: string | number, inFlow: boolean): string {
  if (typeof value === 'string' && /[\n\r\t]/.test(value)) return JSON.stringify(value);
  const doc = new Document();
  doc.contents = doc.createNode(inFlow ? [value] : value, { flow: true });
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return inFlow ? text.slice(1, -1) : text;
}

describe('scalarText', () => {
  const tricky = [
    'jp-svc-plus-1',
    'true',
    'True',
    'TRUE',
    'tRUE',
    'false',
    'null',
    'Null',
    'NULL',
    'yes',
    'no',
    'on',
    'off',
    'y',
    'n',
    'inf',
    'nan',
    'e1',
    'x',
    'a-',
    'a--b',
    'A1',
    '1a',
    '-a',
    '.inf',
    '0x1F',
    '1e3',
    '~',
    '',
    ' a',
    'a b',
    'a,b',
    'a:b',
    'a#b',
    '日本',
  ];
  const numbers = [0, -0, 1, -1, 100, 2 ** 53 - 1, 2 ** 53, 0.5, -3.25, 1e21];

  it('writes what yaml writes for names, words yaml reserves, and numbers', () => {
    for (const inFlow of [false, true]) {
      for (const v of [...tricky, ...numbers]) assert.equal(scalarText(v, inFlow), byYaml(v, inFlow), `${JSON.stringify(v)} inFlow=${inFlow}`);
    }
  });

  it('writes what yaml writes for any short string of name characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9.~_-]{0,8}$/), fc.boolean(), (v, inFlow) => {
        assert.equal(scalarText(v, inFlow), byYaml(v, inFlow));
        assert.deepEqual(parse(`k: ${scalarText(v)}`), { k: v });
      }),
      { numRuns: 2000 },
    );
  });
});
