import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadProgramDeclarations } from './declarations.js';
import { REPO_ROOT, writeFixtureRepo } from './testing/fixture-repo.js';

describe('loadProgramDeclarations', () => {
  it("loads the repo's own platform-config with the stack's pools", async () => {
    const declarations = await loadProgramDeclarations(REPO_ROOT, { region: 'jp', pools: { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1'] } } });
    assert.equal(declarations.gtm['svc-plus']?.domain, 'api.svc.plus');
    assert.equal(declarations.regions.jp?.instance_type, 't3.small');
    assert.deepEqual(declarations.stacks.jp?.pools, { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1'], excluded: [] } });
  });

  it('checks the pools from the stack config with the declaration rules', async () => {
    await assert.rejects(
      loadProgramDeclarations(REPO_ROOT, { region: 'jp', pools: { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1'], excluded: ['jp-svc-plus-7'] } } }),
      /stack config xplane:pools\.svc-plus\.excluded\[0\]: expected one of the pool's nodes, got "jp-svc-plus-7"/,
    );
  });

  it('does not read stacks/ files: the stack config comes from Pulumi', async () => {
    const root = await writeFixtureRepo([{ name: 'jp', provider: 'aws' }], [{ service: 'svc', provider: 'route53', regions: [{ name: 'jp', weight: 1 }] }]);
    const declarations = await loadProgramDeclarations(root);
    assert.deepEqual(Object.keys(declarations.stacks), []);
  });

  it('fails with a hint when there is no platform-config/', async () => {
    await assert.rejects(loadProgramDeclarations('/nonexistent'), /no platform-config\/ declarations found/);
  });
});
