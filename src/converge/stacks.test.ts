import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gitSync, makeGitFixture } from '../testing/index.js';
import { affectedStacks, changedStacks, discoverStacks } from './stacks.js';

const STACKS = [
  { stack: 'jp', services: ['svc-plus'] },
  { stack: 'sg', services: ['svc-plus', 'api'] },
  { stack: 'us', services: [] },
];
const GTM = { 'svc-plus': ['jp', 'sg'], api: ['sg', 'us'] };

describe('affectedStacks', () => {
  const cases: { name: string; changed: string[]; want: string[] }[] = [
    { name: 'nothing changed', changed: [], want: [] },
    { name: 'a stack file', changed: ['stacks/Pulumi.sg.yaml'], want: ['sg'] },
    { name: 'a region file', changed: ['platform-config/regions/us.yaml'], want: ['us'] },
    { name: 'a gtm file reaches its pools and its regions', changed: ['platform-config/gtm/api.yaml'], want: ['sg', 'us'] },
    { name: 'an autoscale file feeds no stack', changed: ['platform-config/autoscale/svc-plus.yaml'], want: [] },
    { name: 'the program feeds every stack', changed: ['program/components/aws-node-pool.ts'], want: ['jp', 'sg', 'us'] },
    { name: 'the project file feeds every stack', changed: ['Pulumi.yaml'], want: ['jp', 'sg', 'us'] },
    { name: 'docs feed none', changed: ['README.md', 'src/cli/main.ts'], want: [] },
  ];
  for (const c of cases) {
    it(`takes ${c.want.join(', ') || 'no stack'} when ${c.name}`, () => {
      assert.deepEqual(affectedStacks(c.changed, STACKS, GTM), c.want);
    });
  }
});

describe('stack discovery on a real repo', () => {
  it('finds every stacks/Pulumi.<name>.yaml', async () => {
    const fixture = makeGitFixture();
    try {
      assert.deepEqual(await discoverStacks(fixture.work), ['jp', 'sg']);
    } finally {
      fixture.cleanup();
    }
  });

  it('takes only the stacks whose inputs changed since a revision, committed or not', async () => {
    const fixture = makeGitFixture();
    try {
      const base = gitSync(fixture.work, 'rev-parse', 'HEAD');
      assert.deepEqual(await changedStacks(fixture.work, base), []);
      const sg = 'platform-config/regions/sg.yaml';
      fixture.commit({ [sg]: fixture.read(sg).replace('t3.small', 't3.medium') }, 'bigger sg');
      assert.deepEqual(await changedStacks(fixture.work, base), ['sg']);
      mkdirSync(join(fixture.work, 'program'), { recursive: true });
      writeFileSync(join(fixture.work, 'program/new.ts'), 'export {};\n');
      assert.deepEqual(await changedStacks(fixture.work, base), ['jp', 'sg'], 'an untracked program file counts');
    } finally {
      fixture.cleanup();
    }
  });
});
