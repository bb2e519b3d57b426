import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssue } from './format.js';

describe('formatIssue', () => {
  it('prints file:line:col path: message', () => {
    const issue = {
      file: 'platform-config/autoscale/svc-plus.yaml',
      line: 9,
      col: 21,
      path: 'regions.jp.scale_up_cpu',
      message: 'expected a number between 0 and 1, got "high"',
    };
    assert.equal(formatIssue(issue), 'platform-config/autoscale/svc-plus.yaml:9:21 regions.jp.scale_up_cpu: expected a number between 0 and 1, got "high"');
  });

  it('leaves out the path when the issue is about the whole file', () => {
    const issue = { file: 'platform-config/gtm/x.yml', line: 1, col: 1, path: '', message: 'expected something' };
    assert.equal(formatIssue(issue), 'platform-config/gtm/x.yml:1:1 expected something');
  });
});
