import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitMessage } from './commit-message.js';
import type { Decision } from './types.js';

const d = (service: string, summary: string): Decision => ({ controller: 'gtm', service, region: 'jp', kind: 'weight', summary, why: {}, patch: {} });

describe('commitMessage', () => {
  it('uses a single decision as the subject', () => {
    assert.equal(commitMessage([d('svc-plus', 'autoscale: svc-plus jp 1→2 (cpu=0.82)')]), 'autoscale: svc-plus jp 1→2 (cpu=0.82)\n');
  });

  it('counts several decisions in the subject, names the services once, and lists each in the body', () => {
    const message = commitMessage([
      d('svc-plus', 'autoscale: svc-plus jp 2→3 (cpu=0.90)'),
      d('svc-plus', 'gtm: svc-plus jp exclude jp-svc-plus-3 (not registered)'),
      d('api', 'gtm: api sg weight 10→0 (ready 0 < min 1)'),
    ]);
    assert.equal(
      message,
      'xplane: 3 changes (api, svc-plus)\n\nautoscale: svc-plus jp 2→3 (cpu=0.90)\ngtm: svc-plus jp exclude jp-svc-plus-3 (not registered)\ngtm: api sg weight 10→0 (ready 0 < min 1)\n',
    );
  });

  it('names at most three services in the subject and counts the rest', () => {
    const many = ['e', 'd', 'c', 'b', 'a'].map((s) => d(s, `gtm: ${s} jp weight 1→0 (ready 0 < min 1)`));
    assert.match(commitMessage(many), /^xplane: 5 changes \(a, b, c, \+2 more\)\n\n/);
  });

  it('refuses an empty pass', () => {
    assert.throws(() => commitMessage([]), /at least one decision/);
  });
});
