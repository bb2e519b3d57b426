import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIssue, loadDeclarations, parseDeclarations, readDeclarationFiles, type LoadResult, type SourceFile } from './index.js';

const GTM = 'platform-config/gtm/svc-plus.yaml';
const AUTOSCALE = 'platform-config/autoscale/svc-plus.yaml';
const JP = 'platform-config/regions/jp.yaml';
const SG = 'platform-config/regions/sg.yaml';
const STACK_JP = 'stacks/Pulumi.jp.yaml';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/** A small valid repo; each row below changes one file so the expected line numbers are easy to read off. */
const BASE: Record<string, string> = {
  [GTM]: lines(
    'service: svc-plus', // 1
    'domain: api.svc.plus', // 2
    'regions:', // 3
    '  - name: jp', // 4
    '    weight: 100', // 5
    '  - name: sg', // 6
    '    weight: 10', // 7
    'health:', // 8
    '  port: 8080', // 9
    'dns:', // 10
    '  provider: route53', // 11
    '  zone: svc.plus', // 12
  ),
  [AUTOSCALE]: lines(
    'service: svc-plus', // 1
    'global:', // 2
    '  cpu_window: 60s', // 3
    '  min_regions: 1', // 4
    '  max_regions: 3', // 5
    '  cooldown: 120s', // 6
    'regions:', // 7
    '  jp:', // 8
    '    min_nodes: 1', // 9
    '    max_nodes: 5', // 10
    '    scale_up_cpu: 0.7', // 11
    '    scale_down_cpu: 0.3', // 12
  ),
  [JP]: lines('name: jp', 'provider: aws', 'location: ap-northeast-1', 'instance_type: t3.small'),
  [SG]: lines('name: sg', 'provider: local'),
  [STACK_JP]: lines(
    'config:', // 1
    '  xplane:region: jp', // 2
    '  aws:region: ap-northeast-1', // 3
    '  xplane:pools:', // 4
    '    svc-plus:', // 5
    '      weight: 100', // 6
    '      nodes: [jp-svc-plus-1, jp-svc-plus-2]', // 7
    '      excluded: [jp-svc-plus-2]', // 8
  ),
};

/** The base repo with some files replaced, added, or (with null) removed. */
function repo(changes: Record<string, string | null> = {}): SourceFile[] {
  const files = { ...BASE, ...changes };
  return Object.entries(files).flatMap(([path, text]) => (text === null ? [] : [{ path, text }]));
}

/** The same text with one line replaced (1-based), to make a single mistake. */
function edit(path: string, line: number, replacement: string): Record<string, string> {
  const text = BASE[path] ?? '';
  const all = text.split('\n');
  all[line - 1] = replacement;
  return { [path]: all.join('\n') };
}

function messages(result: LoadResult): string[] {
  return result.ok ? [] : result.issues.map(formatIssue);
}

describe('parseDeclarations', () => {
  it('accepts the base repo', () => {
    assert.deepEqual(messages(parseDeclarations(repo())), []);
  });

  const rows: { name: string; changes: Record<string, string | null>; expected: string[] }[] = [
    {
      name: 'reports a YAML syntax error at the position the parser gives',
      changes: edit(GTM, 2, 'domain: [api.svc.plus'),
      expected: [`${GTM}:3:1 Flow sequence in block collection must be sufficiently indented and end with a ]`],
    },
    {
      name: 'reports a duplicate key at the second occurrence',
      changes: edit(GTM, 2, 'service: svc-plus'),
      expected: [`${GTM}:2:1 service: expected each key once, got "service" again (first on line 1)`],
    },
    {
      name: 'reports a wrong type at the value, quoting what was found',
      changes: edit(AUTOSCALE, 11, '    scale_up_cpu: high'),
      expected: [`${AUTOSCALE}:11:19 regions.jp.scale_up_cpu: expected a number between 0 and 1, got "high"`],
    },
    {
      name: 'reports a number out of range',
      changes: edit(GTM, 9, '  port: 70000'),
      expected: [`${GTM}:9:9 health.port: expected an integer between 1 and 65535, got 70000`],
    },
    {
      name: 'reports a negative weight',
      changes: edit(GTM, 5, '    weight: -1'),
      expected: [`${GTM}:5:13 regions[0].weight: expected an integer >= 0, got -1`],
    },
    {
      name: 'reports a bad duration',
      changes: edit(AUTOSCALE, 6, '  cooldown: 2 minutes'),
      expected: [`${AUTOSCALE}:6:13 global.cooldown: expected a duration like 500ms, 5s, 1m or 2h, got "2 minutes"`],
    },
    {
      name: 'reports a metrics window too short to average over',
      changes: edit(AUTOSCALE, 3, '  cpu_window: 10ms'),
      expected: [`${AUTOSCALE}:3:15 global.cpu_window: expected a duration of at least 1s, got "10ms"`],
    },
    {
      name: 'reports a duration without a unit',
      changes: edit(AUTOSCALE, 3, '  cpu_window: 60'),
      expected: [`${AUTOSCALE}:3:15 global.cpu_window: expected a duration like 500ms, 5s, 1m or 2h, got 60`],
    },
    {
      name: 'reports a misspelt key at the key, listing the keys that are allowed',
      changes: edit(AUTOSCALE, 11, '    scale_up_cpus: 0.7'),
      expected: [
        `${AUTOSCALE}:9:5 regions.jp.scale_up_cpu: required key is missing`,
        `${AUTOSCALE}:11:5 regions.jp.scale_up_cpus: unknown key (expected one of: min_nodes, max_nodes, scale_up_cpu, scale_down_cpu, scale_up_step, scale_down_step)`,
      ],
    },
    {
      name: 'reports a missing required key at the map that should hold it',
      changes: edit(GTM, 12, ''),
      expected: [`${GTM}:11:3 dns.zone: required key is missing`],
    },
    {
      name: 'reports a wrong value of an enum with its choices',
      changes: edit(GTM, 11, '  provider: bind9'),
      expected: [`${GTM}:11:13 dns.provider: expected one of: route53, cloudflare, powerdns, alidns, local, got "bind9"`],
    },
    {
      name: 'reports min_nodes above max_nodes at min_nodes',
      changes: edit(AUTOSCALE, 9, '    min_nodes: 6'),
      expected: [`${AUTOSCALE}:9:16 regions.jp.min_nodes: expected an integer <= max_nodes (5), got 6`],
    },
    {
      name: 'reports scale_down_cpu at or above scale_up_cpu at scale_down_cpu',
      changes: edit(AUTOSCALE, 12, '    scale_down_cpu: 0.7'),
      expected: [`${AUTOSCALE}:12:21 regions.jp.scale_down_cpu: expected a number below scale_up_cpu (0.7), got 0.7`],
    },
    {
      name: 'reports min_regions above max_regions',
      changes: edit(AUTOSCALE, 4, '  min_regions: 4'),
      expected: [`${AUTOSCALE}:4:16 global.min_regions: expected an integer <= max_regions (3), got 4`],
    },
    {
      name: 'reports a gtm region without a regions/ file at its name',
      changes: edit(GTM, 6, '  - name: kr'),
      expected: [`${GTM}:6:11 regions[1].name: expected a region with a file in platform-config/regions/ (jp, sg), got "kr"`],
    },
    {
      name: 'reports an autoscale region without a regions/ file at its key',
      changes: edit(AUTOSCALE, 8, '  kr:'),
      expected: [`${AUTOSCALE}:8:3 regions.kr: expected a region with a file in platform-config/regions/ (jp, sg), got "kr"`],
    },
    {
      name: 'reports a region listed twice in a gtm policy',
      changes: edit(GTM, 6, '  - name: jp'),
      expected: [`${GTM}:6:11 regions[1].name: expected each region once, got "jp" again`],
    },
    {
      name: 'reports a service that differs from the file name',
      changes: edit(GTM, 1, 'service: svc-pls'),
      expected: [`${GTM}:1:10 service: expected "svc-plus" (the file name), got "svc-pls"`],
    },
    {
      name: 'reports a region name that differs from the file name',
      changes: edit(JP, 1, 'name: japan'),
      expected: [`${JP}:1:7 name: expected "jp" (the file name), got "japan"`],
    },
    {
      name: 'reports an autoscaled service without a gtm policy',
      changes: { 'platform-config/autoscale/other.yaml': (BASE[AUTOSCALE] ?? '').replace('svc-plus', 'other') },
      expected: ['platform-config/autoscale/other.yaml:1:10 service: expected a service with a gtm policy in platform-config/gtm/, got "other"'],
    },
    {
      name: 'reports an aws region without location or instance_type at the region map',
      changes: { [SG]: lines('name: sg', 'provider: aws') },
      expected: [`${SG}:1:1 instance_type: required key is missing when provider is aws`, `${SG}:1:1 location: required key is missing when provider is aws`],
    },
    {
      name: 'reports a stack whose region differs from its file name',
      changes: edit(STACK_JP, 2, '  xplane:region: sg'),
      expected: [`${STACK_JP}:2:18 config.xplane:region: expected "jp" (from the file name Pulumi.jp.yaml), got "sg"`],
    },
    {
      name: 'reports a stack region without a regions/ file',
      changes: { 'stacks/Pulumi.kr.yaml': lines('config:', '  xplane:region: kr') },
      expected: ['stacks/Pulumi.kr.yaml:2:18 config.xplane:region: expected a region with a file in platform-config/regions/ (jp, sg), got "kr"'],
    },
    {
      name: 'reports a node name that does not follow <region>-<service>-<n>',
      changes: edit(STACK_JP, 7, '      nodes: [jp-svc-plus-1, sg-svc-plus-2, jp-svc-plus-0, jp-svc-plus-1]'),
      expected: [
        `${STACK_JP}:7:30 config.xplane:pools.svc-plus.nodes[1]: expected a node name like jp-svc-plus-<n> (n = 1, 2, ...), got "sg-svc-plus-2"`,
        `${STACK_JP}:7:45 config.xplane:pools.svc-plus.nodes[2]: expected a node name like jp-svc-plus-<n> (n = 1, 2, ...), got "jp-svc-plus-0"`,
        `${STACK_JP}:7:60 config.xplane:pools.svc-plus.nodes[3]: expected each node once, got "jp-svc-plus-1" again`,
        `${STACK_JP}:8:18 config.xplane:pools.svc-plus.excluded[0]: expected one of the pool's nodes, got "jp-svc-plus-2"`,
      ],
    },
    {
      name: 'reports an excluded node that is not in nodes',
      changes: edit(STACK_JP, 8, '      excluded: [jp-svc-plus-2, jp-svc-plus-9]'),
      expected: [`${STACK_JP}:8:33 config.xplane:pools.svc-plus.excluded[1]: expected one of the pool's nodes, got "jp-svc-plus-9"`],
    },
    {
      name: 'reports a misspelt xplane key in a stack but keeps keys of other namespaces',
      changes: edit(STACK_JP, 3, '  xplane:pool: {}\n  aws:secret: { secure: v1:abc }'),
      expected: [
        `${STACK_JP}:3:3 config.xplane:pool: unknown key (expected one of: xplane:region, xplane:pools, xplane:role, xplane:controlPlaneUrl, xplane:ami, xplane:bootstrapToken, xplane:servicePorts, xplane:cloudflareAccountId, xplane:cloudflareZoneId, xplane:stackOrganization, xplane:localStateDir)`,
      ],
    },
    {
      name: 'reports a misspelt top-level key in a stack and accepts the ones Pulumi writes',
      changes: { [STACK_JP]: `secretsprovider: passphrase\nencryptionsalt: v1:abc\nconfg: {}\n${BASE[STACK_JP] ?? ''}` },
      expected: [`${STACK_JP}:3:1 confg: unknown key (expected one of: config, secretsprovider, encryptedkey, encryptionsalt, environment)`],
    },
    {
      name: 'reports a health timeout longer than the interval, naming the default it exceeds',
      changes: edit(GTM, 9, '  port: 8080\n  timeout: 10s'),
      expected: [`${GTM}:10:12 health.timeout: expected a duration <= health.interval (5s), got "10s"`],
    },
    {
      name: 'reports a domain outside the DNS zone',
      changes: edit(GTM, 2, 'domain: api.svc.plus.example'),
      expected: [`${GTM}:2:9 domain: expected a name within dns.zone (svc.plus or *.svc.plus), got "api.svc.plus.example"`],
    },
    {
      name: 'reports a .yml file where a .yaml file is expected',
      changes: { 'platform-config/gtm/extra.yml': BASE[GTM] ?? '' },
      expected: ['platform-config/gtm/extra.yml:1:1 expected platform-config/<kind>/<name>.yaml with <kind> one of: gtm, autoscale, regions'],
    },
    {
      name: 'reports a file in an unexpected folder under platform-config/',
      changes: { 'platform-config/services/svc-plus.yaml': 'service: svc-plus\n' },
      expected: ['platform-config/services/svc-plus.yaml:1:1 expected platform-config/<kind>/<name>.yaml with <kind> one of: gtm, autoscale, regions'],
    },
    {
      name: 'reports each required key of an empty file at 1:1',
      changes: { [SG]: '' },
      expected: [`${SG}:1:1 name: required key is missing`, `${SG}:1:1 provider: required key is missing`],
    },
    {
      name: 'reports a file that is not a map',
      changes: { [SG]: '- sg\n' },
      expected: [`${SG}:1:1 expected a map, got a list`],
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(messages(parseDeclarations(repo(row.changes))), row.expected);
    });
  }

  it('reports every problem of every file in one result, sorted by file and position', () => {
    const result = parseDeclarations(
      repo({
        ...edit(GTM, 9, '  port: http'),
        ...edit(AUTOSCALE, 11, '    scale_up_cpu: high'),
        ...edit(JP, 2, 'provider: gcp'),
        ...edit(STACK_JP, 8, '      excluded: [jp-svc-plus-3]'),
        'platform-config/gtm/notes.txt': 'hello',
      }),
    );
    assert.deepEqual(messages(result), [
      `${AUTOSCALE}:11:19 regions.jp.scale_up_cpu: expected a number between 0 and 1, got "high"`,
      'platform-config/gtm/notes.txt:1:1 expected platform-config/<kind>/<name>.yaml with <kind> one of: gtm, autoscale, regions',
      `${GTM}:9:9 health.port: expected an integer between 1 and 65535, got "http"`,
      `${JP}:2:11 provider: expected one of: aws, local, got "gcp"`,
      `${STACK_JP}:8:18 config.xplane:pools.svc-plus.excluded[0]: expected one of the pool's nodes, got "jp-svc-plus-3"`,
    ]);
  });

  it('applies defaults and converts durations to milliseconds', () => {
    const result = parseDeclarations(repo());
    assert.ok(result.ok);
    const { gtm, autoscale, regions, stacks } = result.declarations;
    assert.deepEqual(gtm['svc-plus']?.health, { type: 'http', path: '/healthz', port: 8080, interval: 5_000, timeout: 2_000, rise: 2, fall: 3 });
    assert.deepEqual(gtm['svc-plus'].latency, { rtt_threshold: 300, rtt_factor: 0.7, error_rate_threshold: 0.05, error_factor: 0.5 });
    assert.deepEqual(gtm['svc-plus'].regions[1], { name: 'sg', weight: 10, min_ready_nodes: 1, fallback: false });
    assert.equal(autoscale['svc-plus']?.global.drain, 60_000);
    assert.equal(autoscale['svc-plus'].global.on_missing_metrics, 'hold');
    assert.deepEqual(regions.sg, { name: 'sg', provider: 'local', node_template: 'containerd-only', labels: {} });
    assert.deepEqual(stacks.jp, {
      region: 'jp',
      pools: { 'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: ['jp-svc-plus-2'] } },
    });
  });

  it('warns, without rejecting, when a fallback region may scale to no nodes', () => {
    const result = parseDeclarations(
      repo({
        [GTM]: (BASE[GTM] ?? '').replace('  - name: sg\n', '  - name: sg\n    fallback: true\n'),
        [AUTOSCALE]: `${BASE[AUTOSCALE] ?? ''}  sg:\n    min_nodes: 0\n    max_nodes: 2\n    scale_up_cpu: 0.7\n    scale_down_cpu: 0.3\n`,
      }),
    );
    assert.deepEqual(messages(result), []);
    assert.ok(result.ok, 'a warning is not an error');
    assert.deepEqual(result.warnings.map(formatIssue), [
      `${AUTOSCALE}:14:16 regions.sg.min_nodes: region sg is a fallback in ${GTM} (fallback: true) but may scale to no nodes: the autoscaler can remove its last node and it can no longer take traffic when the other regions are out; set min_nodes >= 1`,
    ]);
  });

  it('does not warn about a region that is not a fallback, or one that keeps a node', () => {
    const sg = `${BASE[AUTOSCALE] ?? ''}  sg:\n    min_nodes: 0\n    max_nodes: 2\n    scale_up_cpu: 0.7\n    scale_down_cpu: 0.3\n`;
    const notFallback = parseDeclarations(repo({ [AUTOSCALE]: sg }));
    assert.ok(notFallback.ok);
    assert.deepEqual(notFallback.warnings, []);
    const keeps = parseDeclarations(
      repo({
        [GTM]: (BASE[GTM] ?? '').replace('  - name: sg\n', '  - name: sg\n    fallback: true\n'),
        [AUTOSCALE]: sg.replace('min_nodes: 0', 'min_nodes: 1'),
      }),
    );
    assert.ok(keeps.ok);
    assert.deepEqual(keeps.warnings, []);
  });

  it('accepts a global stack with role global and the program’s settings', () => {
    const global = lines('config:', '  xplane:role: global', '  xplane:cloudflareZoneId: abc123', '  cloudflare:apiToken:', '    secure: AAAA');
    const result = parseDeclarations(repo({ 'stacks/Pulumi.global.yaml': global }));
    assert.deepEqual(messages(result), []);
    assert.ok(result.ok);
    assert.deepEqual(result.declarations.stacks.global, { region: 'global', pools: {} });
  });

  it('refuses a global stack without its role, and a region stack that claims it', () => {
    const result = parseDeclarations(
      repo({
        'stacks/Pulumi.global.yaml': lines('config:', '  aws:region: us-east-1'),
        'stacks/Pulumi.jp.yaml': lines('config:', '  xplane:region: jp', '  xplane:role: global'),
      }),
    );
    assert.deepEqual(messages(result), [
      'stacks/Pulumi.global.yaml:2:3 config: expected xplane:role: global in the global stack',
      'stacks/Pulumi.jp.yaml:3:16 config.xplane:role: expected role global only in stacks/Pulumi.global.yaml',
    ]);
  });

  it('ignores files outside platform-config/ and stacks/Pulumi.*.yaml', () => {
    const result = parseDeclarations(
      repo({ 'README.md': '# x', 'Pulumi.yaml': 'name: xplane', 'stacks/notes.yaml': ': bad', 'platform-config/README.md': '#' }),
    );
    assert.deepEqual(messages(result), []);
  });
});

describe('loadDeclarations', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const temp = mkdtemp(join(tmpdir(), 'xplane-config-'));
  after(async () => rm(await temp, { recursive: true, force: true }));

  it("loads the repo's own seed declarations with defaults applied", async () => {
    const result = await loadDeclarations(root);
    assert.deepEqual(messages(result), []);
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(result.declarations.regions).sort(), ['jp', 'sg']);
    assert.equal(result.declarations.autoscale['svc-plus']?.global.drain, 60_000);
    assert.equal(result.declarations.gtm['svc-plus']?.global.override_hold, 1_800_000);
    assert.equal(result.declarations.stacks.sg?.pools['svc-plus']?.weight, 10);
  });

  it('reads declaration files with paths relative to the repo and / separators', async () => {
    const dir = join(await temp, 'read');
    await mkdir(join(dir, 'platform-config', 'regions'), { recursive: true });
    await mkdir(join(dir, 'stacks'), { recursive: true });
    await writeFile(join(dir, 'platform-config', 'regions', 'jp.yaml'), 'name: jp\nprovider: local\n');
    await writeFile(join(dir, 'stacks', 'Pulumi.jp.yaml'), 'config:\n  xplane:region: jp\n');
    await writeFile(join(dir, 'stacks', 'README.md'), 'not read');
    const files = await readDeclarationFiles(dir);
    assert.deepEqual(
      files.map((f) => f.path),
      ['platform-config/regions/jp.yaml', 'stacks/Pulumi.jp.yaml'],
    );
    assert.deepEqual(messages(await loadDeclarations(dir)), []);
  });

  it('reports a directory without platform-config/', async () => {
    const dir = join(await temp, 'empty');
    await mkdir(dir, { recursive: true });
    const [line] = messages(await loadDeclarations(dir));
    assert.match(line ?? '', /^platform-config\/:1:1 directory not found in .*empty \(expected platform-config\/<kind>\/<name>\.yaml files/);
  });
});
