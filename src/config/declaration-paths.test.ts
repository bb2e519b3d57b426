import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeclarationPath, pathRole, type PathRole } from './declaration-paths.js';

const MISPLACED = 'expected platform-config/<kind>/<name>.yaml with <kind> one of: gtm, autoscale, regions';

describe('pathRole', () => {
  const cases: [string, PathRole][] = [
    ['platform-config/gtm/svc-plus.yaml', { role: 'declaration', kind: 'gtm', name: 'svc-plus' }],
    ['platform-config/autoscale/svc-plus.yaml', { role: 'declaration', kind: 'autoscale', name: 'svc-plus' }],
    ['platform-config/regions/jp.yaml', { role: 'declaration', kind: 'regions', name: 'jp' }],
    ['stacks/Pulumi.jp.yaml', { role: 'stack', region: 'jp' }],
    ['stacks/Pulumi.jp.yml', { role: 'misplaced', message: 'expected stacks/Pulumi.<region>.yaml' }],
    ['platform-config/gtm/svc-plus.yml', { role: 'misplaced', message: MISPLACED }],
    ['platform-config/gtm/old/svc-plus.yaml', { role: 'misplaced', message: MISPLACED }],
    ['platform-config/svc-plus.yaml', { role: 'misplaced', message: MISPLACED }],
    ['platform-config/region/jp.yaml', { role: 'misplaced', message: MISPLACED }],
    ['platform-config/gtm/.gitkeep', { role: 'ignored' }],
    ['platform-config/README.md', { role: 'ignored' }],
    ['stacks/README.md', { role: 'ignored' }],
    ['Pulumi.yaml', { role: 'ignored' }],
    ['src/config/types.ts', { role: 'ignored' }],
  ];
  for (const [path, role] of cases) {
    it(`treats ${path} as ${role.role}`, () => {
      assert.deepEqual(pathRole(path), role);
      assert.equal(isDeclarationPath(path), role.role !== 'ignored');
    });
  }
});
