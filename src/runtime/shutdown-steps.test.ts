import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../log/index.js';
import { ShutdownSteps } from './shutdown-steps.js';

describe('ShutdownSteps', () => {
  it('runs the steps newest first and goes on after one fails', async () => {
    const ran: string[] = [];
    const steps = new ShutdownSteps(silentLogger());
    const step =
      (name: string, fail = false) =>
      (): Promise<void> => {
        ran.push(name);
        return fail ? Promise.reject(new Error('busy')) : Promise.resolve();
      };
    steps.push(step('store'));
    steps.push(step('app', true));
    steps.push(step('election'));
    await steps.run();
    assert.deepEqual(ran, ['election', 'app', 'store']);
  });
});
