// The JSON Schemas for editors: the committed files under schemas/ are what the
// zod schemas generate, every example declaration names its schema in a
// yaml-language-server modeline, and a real JSON Schema validator (ajv, which
// fastify brings) accepts the examples and rejects what `xplane validate` would.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { parseDuration } from '../config/index.js';
import { REPO_ROOT } from '../testing/index.js';
import { SCHEMA_KINDS, declarationJsonSchema, schemaPath, schemaText, type SchemaKind } from './index.js';

const FOLDER: Record<SchemaKind, string> = { gtm: 'platform-config/gtm', autoscale: 'platform-config/autoscale', region: 'platform-config/regions' };
const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/m;

function examples(kind: SchemaKind): string[] {
  const dir = join(REPO_ROOT, FOLDER[kind]);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));
}

function validator(kind: SchemaKind) {
  return new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false }).compile(declarationJsonSchema(kind));
}

describe('the declarations’ JSON Schemas', () => {
  for (const kind of SCHEMA_KINDS) {
    it(`keeps ${schemaPath(kind)} equal to what the zod schema generates`, () => {
      const committed = readFileSync(join(REPO_ROOT, schemaPath(kind)), 'utf8');
      assert.equal(committed, schemaText(kind), `${schemaPath(kind)} is stale: run  npx xplane schema ${kind} > ${schemaPath(kind)}  and commit it`);
    });

    it(`gives every example ${FOLDER[kind]}/*.yaml a modeline naming ${schemaPath(kind)}`, () => {
      const files = examples(kind);
      assert.ok(files.length > 0);
      for (const file of files) {
        const target = MODELINE.exec(readFileSync(file, 'utf8'))?.[1];
        assert.ok(target, `${relative(REPO_ROOT, file)} has no yaml-language-server modeline`);
        assert.equal(resolve(dirname(file), target), join(REPO_ROOT, schemaPath(kind)), `${relative(REPO_ROOT, file)}: the modeline points elsewhere`);
      }
    });

    it(`accepts every example ${FOLDER[kind]}/*.yaml`, () => {
      const validate = validator(kind);
      for (const file of examples(kind)) {
        assert.ok(validate(parse(readFileSync(file, 'utf8'))), `${relative(REPO_ROOT, file)}: ${JSON.stringify(validate.errors)}`);
      }
    });
  }

  it('rejects what validate rejects in one file: an unknown key, a bad duration, a word for a number, a missing key', () => {
    const gtm = validator('gtm');
    const example = parse(readFileSync(join(REPO_ROOT, 'platform-config/gtm/svc-plus.yaml'), 'utf8')) as {
      health: Record<string, unknown>;
      dns: Record<string, unknown>;
    };
    const cases: [string, unknown][] = [
      ['a typo', { ...example, health: { ...example.health, fal: 3 } }],
      ['5 sec', { ...example, health: { ...example.health, interval: '5 sec' } }],
      ['a number as duration', { ...example, health: { ...example.health, interval: 5 } }],
      ['an unknown provider', { ...example, dns: { ...example.dns, provider: 'bind' } }],
      ['no dns block', { ...example, dns: undefined }],
    ];
    for (const [what, value] of cases) assert.equal(gtm(JSON.parse(JSON.stringify(value))), false, what);
    const autoscale = validator('autoscale');
    const scaling = parse(readFileSync(join(REPO_ROOT, 'platform-config/autoscale/svc-plus.yaml'), 'utf8')) as {
      regions: Record<string, Record<string, unknown>>;
    };
    const jp = scaling.regions.jp ?? {};
    assert.equal(autoscale({ ...scaling, regions: { ...scaling.regions, jp: { ...jp, scale_up_cpu: 'high' } } }), false, 'scale_up_cpu: high');
    assert.equal(autoscale({ ...scaling, regions: { ...scaling.regions, jp: { ...jp, scale_up_cpu: 1.5 } } }), false, 'scale_up_cpu above 1');
  });

  it('writes duration defaults as durations, the ones the parser applies', () => {
    type Props = Record<string, { default?: unknown; pattern?: string } | undefined>;
    const health = (declarationJsonSchema('gtm').properties as Record<string, { properties: Props }>).health;
    const interval = health?.properties.interval;
    assert.ok(health && interval);
    assert.equal(interval.default, '5s');
    assert.equal(parseDuration(String(health.properties.timeout?.default)), 2_000);
    const pattern = new RegExp(interval.pattern ?? '');
    for (const ok of ['500ms', '1.5s', '1m', '2h']) assert.match(ok, pattern);
    for (const bad of ['5 sec', '5', '1m30s', 's']) assert.doesNotMatch(bad, pattern);
  });
});
