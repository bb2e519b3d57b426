import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIdentity } from './identity.js';

const BOT = { name: 'xplane-bot', email: 'xplane-bot@users.noreply.local' };

describe('parseIdentity', () => {
  it('splits Name <email> and refuses anything else', () => {
    assert.deepEqual(parseIdentity('xplane-bot <xplane-bot@users.noreply.local>'), BOT);
    assert.throws(() => parseIdentity('just a name'), /Name <email>/);
  });
});
