// Results in a terminal: colour only on a TTY without NO_COLOR, columns aligned whatever the colours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colorsOn, paint, table } from './output.js';

describe('terminal output', () => {
  it('colours only a terminal, and never when NO_COLOR is set to anything', () => {
    assert.equal(colorsOn({}, true), true);
    assert.equal(colorsOn({ NO_COLOR: '' }, true), true, 'an empty NO_COLOR does not count (no-color.org)');
    assert.equal(colorsOn({ NO_COLOR: '1' }, true), false);
    assert.equal(colorsOn({}, false), false);
    assert.equal(paint('down', 'red', true), '\u001b[31mdown\u001b[39m');
    assert.equal(paint('down', 'red', false), 'down');
  });

  it('aligns columns by what shows, not by colour codes, and leaves the last column unpadded', () => {
    assert.deepEqual(
      table(
        [
          ['NAME', 'STATE', 'WHY'],
          ['jp-svc-plus-1', paint('active', 'green', true), 'ready'],
          ['sg-1', 'down', ''],
        ],
        '  ',
      ),
      ['  NAME           STATE   WHY', `  jp-svc-plus-1  ${paint('active', 'green', true)}  ready`, '  sg-1           down'],
    );
  });
});
