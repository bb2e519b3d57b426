import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDrain, classifyHeartbeat, classifyRegister, describeError } from './node-api.js';

const err = (code: string, message: string, field?: string): unknown => ({ error: { code, message, ...(field ? { field } : {}) } });

describe('classifyRegister', () => {
  it('takes name, token and the interval in milliseconds from a 201', () => {
    assert.deepEqual(classifyRegister({ status: 201, body: { name: 'n1', token: 't', heartbeatInterval: 5000 } }), {
      kind: 'registered',
      registration: { name: 'n1', token: 't', heartbeatIntervalMs: 5000 },
    });
  });
  it('retries a 201 whose body is not a registration', () => {
    assert.equal(classifyRegister({ status: 201, body: { name: 'n1' } }).kind, 'retry');
  });
  for (const status of [400, 409]) {
    it(`gives up on ${status} with the server's message`, () => {
      assert.deepEqual(classifyRegister({ status, body: err('XP_ERR_X', 'name is taken', 'name') }), {
        kind: 'fatal',
        status,
        message: `${status} XP_ERR_X: name is taken (field name)`,
      });
    });
  }
  it('retries a 429 after the server’s Retry-After', () => {
    assert.deepEqual(classifyRegister({ status: 429, body: undefined, retryAfterMs: 2000 }), {
      kind: 'retry',
      status: 429,
      message: 'HTTP 429',
      retryAfterMs: 2000,
    });
  });
  for (const status of [401, 500, 502, 503]) it(`retries ${status}`, () => assert.equal(classifyRegister({ status, body: undefined }).kind, 'retry'));
});

describe('classifyHeartbeat', () => {
  const cases: { status: number; body?: unknown; want: string }[] = [
    { status: 200, body: { state: 'active' }, want: 'ok' },
    { status: 200, body: {}, want: 'unreachable' },
    { status: 404, want: 'reregister' },
    { status: 401, want: 'reregister' },
    { status: 403, want: 'reregister' },
    { status: 429, want: 'throttled' },
    { status: 400, want: 'rejected' },
    { status: 500, want: 'unreachable' },
    { status: 503, want: 'unreachable' },
  ];
  for (const c of cases) it(`maps ${c.status} to ${c.want}`, () => assert.equal(classifyHeartbeat({ status: c.status, body: c.body }).kind, c.want));
});

describe('classifyDrain', () => {
  it('reads the state from a 200', () => assert.deepEqual(classifyDrain({ status: 200, body: { state: 'drain' } }), { kind: 'ok', state: 'drain' }));
  it('fails on anything else', () => assert.equal(classifyDrain({ status: 403, body: undefined }).kind, 'failed'));
});

describe('describeError', () => {
  it('falls back to the status when the body is not an error object', () => assert.equal(describeError({ status: 502, body: '<html>' }), 'HTTP 502'));
});
