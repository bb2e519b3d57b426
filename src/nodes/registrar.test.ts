// Registration checks, names and tokens, without the rest of the registry.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Declarations } from '../config/index.js';
import { node, seedDeclarations } from '../testing/index.js';
import { Registrar } from './registrar.js';
import { hashToken } from './tokens.js';

const JP = { service: 'svc-plus', region: 'jp', address: '127.0.0.2:8080' };

describe('Registrar', () => {
  let seed: Declarations;
  before(async () => {
    seed = await seedDeclarations();
  });

  it('numbers a pool’s nodes after the highest number it has seen, deleted nodes and other pools apart', () => {
    const registrar = new Registrar();
    assert.equal(registrar.nameFor(JP, seed), 'jp-svc-plus-1');
    registrar.remember(node('jp-svc-plus-7', { state: 'deleted' }));
    registrar.issue('sg-svc-plus-2', undefined);
    assert.equal(registrar.nameFor(JP, seed), 'jp-svc-plus-8');
    assert.equal(registrar.nameFor({ ...JP, region: 'sg' }, seed), 'sg-svc-plus-3');
    assert.equal(registrar.highestOrdinal('jp', 'svc-plus'), 7);
  });

  it('takes the name a node asks for only within its own pool', () => {
    const registrar = new Registrar();
    assert.equal(registrar.nameFor({ ...JP, name: 'jp-svc-plus-12' }, seed), 'jp-svc-plus-12');
    assert.throws(() => registrar.nameFor({ ...JP, name: 'sg-svc-plus-1' }, seed), /name must be jp-svc-plus-<n>/);
    assert.throws(() => registrar.nameFor({ ...JP, name: 'jp-svc-plus-0' }, seed), /name must be jp-svc-plus-<n>/);
  });

  it('refuses undeclared services and regions once a configuration is in force, and bad addresses always', () => {
    const registrar = new Registrar();
    assert.throws(() => registrar.nameFor({ ...JP, service: 'nope' }, seed), { code: 'XP_ERR_BAD_REQUEST', field: 'service' });
    assert.throws(() => registrar.nameFor({ ...JP, region: 'mars' }, seed), { code: 'XP_ERR_BAD_REQUEST', field: 'region' });
    assert.equal(registrar.nameFor({ ...JP, service: 'nope', region: 'mars' }, undefined), 'mars-nope-1');
    assert.throws(() => registrar.nameFor({ ...JP, address: 'localhost:80' }, undefined), { code: 'XP_ERR_BAD_REQUEST', field: 'address' });
  });

  it('stops the old token working when a node registers again', () => {
    const registrar = new Registrar();
    const first = registrar.issue('jp-svc-plus-1', undefined);
    const second = registrar.issue('jp-svc-plus-1', first.tokenHash);
    assert.equal(registrar.isNodeToken(first.token), false);
    assert.equal(registrar.isNodeToken(second.token), true);
    assert.equal(second.tokenHash, hashToken(second.token));
  });

  it('answers 403 for another node’s token and 401 for a token nobody holds', () => {
    const registrar = new Registrar();
    const a = registrar.issue('jp-svc-plus-1', undefined);
    const b = registrar.issue('jp-svc-plus-2', undefined);
    const recordA = node('jp-svc-plus-1', { tokenHash: a.tokenHash });
    registrar.authenticate(recordA, a.token);
    assert.throws(() => registrar.authenticate(recordA, b.token), {
      code: 'XP_ERR_FORBIDDEN',
      message: 'this token belongs to node jp-svc-plus-2, not jp-svc-plus-1',
    });
    assert.throws(() => registrar.authenticate(recordA, 'guess'), { code: 'XP_ERR_UNAUTHORIZED' });
  });

  it('keeps no token for a node loaded as deleted, and forgets a revoked one', () => {
    const registrar = new Registrar();
    registrar.remember(node('jp-svc-plus-1', { tokenHash: hashToken('kept') }));
    registrar.remember(node('jp-svc-plus-2', { tokenHash: hashToken('gone'), state: 'deleted' }));
    assert.equal(registrar.isNodeToken('kept'), true);
    assert.equal(registrar.isNodeToken('gone'), false);
    registrar.revoke(hashToken('kept'));
    assert.equal(registrar.isNodeToken('kept'), false);
  });
});
