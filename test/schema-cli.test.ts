// `xplane schema gtm|autoscale|region` from the built CLI: the schema on stdout, usage errors with exit 2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../src/testing/index.js';
import { runCli } from './helpers/cli.js';

describe('xplane schema', () => {
  for (const kind of ['gtm', 'autoscale', 'region']) {
    it(`prints the committed schemas/${kind}.schema.json for ${kind}`, async () => {
      const res = await runCli(['schema', kind]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, readFileSync(join(REPO_ROOT, 'schemas', `${kind}.schema.json`), 'utf8'));
      assert.equal((JSON.parse(res.stdout) as { $schema: string }).$schema, 'http://json-schema.org/draft-07/schema#');
    });
  }

  it('answers an unknown or missing kind with exit 2 and the kinds it knows', async () => {
    for (const argv of [['schema', 'regions'], ['schema'], ['schema', 'gtm', 'region']]) {
      const res = await runCli(argv);
      assert.equal(res.code, 2, argv.join(' '));
      assert.match(res.stderr, /gtm, autoscale, region|one declaration at a time/);
      assert.equal(res.stdout, '');
    }
  });
});
