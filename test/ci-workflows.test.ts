// The example GitHub Actions workflows: linted with actionlint (built from its Go
// module by scripts/build-actionlint.sh; with shellcheck on PATH it checks the
// run: scripts too), the Markdown they post (scripts/ci/ci-report.ts), and their
// github-script steps run against a recording stand-in for the GitHub API: one
// preview comment per pull request, updated in place; one drift issue, kept up
// to date and closed when the drift is gone.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DRIFT_MARKER, PREVIEW_MARKER, diffForGithub, driftMarkdown, previewComment, type DriftReport, type PreviewResult } from '../scripts/ci/ci-report.js';
import { REPO_ROOT } from '../src/testing/index.js';

const WORKFLOWS = join(REPO_ROOT, '.github/workflows');

/** actionlint: ACTIONLINT_PATH, PATH, or the newest build in scripts/build-actionlint.sh's cache. */
function findActionlint(): string | undefined {
  if (process.env.ACTIONLINT_PATH) return process.env.ACTIONLINT_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'actionlint'))) return join(dir, 'actionlint');
  const cache = join(process.env.XPLANE_CACHE ?? join(homedir(), '.cache', 'xplane'), 'actionlint');
  const versions = existsSync(cache) ? readdirSync(cache).sort().reverse() : [];
  return versions.map((v) => join(cache, v, 'bin', 'actionlint')).find((p) => existsSync(p));
}

const actionlint = findActionlint();
if (!actionlint && process.env.CI) throw new Error('CI must provide actionlint (scripts/build-actionlint.sh builds it from its Go module; .ci/run runs it)');

const DNS_CHANGE = {
  op: 'update',
  urn: 'urn:pulumi:jp::xplane::pulumi-nodejs:dynamic/xplane:LocalDnsRecords::svc-plus-dns',
  type: 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords',
  name: 'svc-plus-dns',
  properties: [
    { path: 'records[0].weight', old: 100, new: 40 },
    { path: 'records[1]', new: { node: 'jp-svc-plus-2', ip: '127.1.1.2', weight: 40 } },
  ],
};
const ENGINE_DIFF = [
  '  pulumi:pulumi:Stack: (same)',
  '    ~ pulumi-nodejs:dynamic/xplane:LocalDnsRecords: (update)',
  '        [id=api.svc.plus/jp]',
  '      ~ records       : [',
  '          ~ [0]: {',
  '                  ~ weight: 100 => 40',
  '                }',
  '          + [1]: {',
  '                  + ip    : "127.1.1.2"',
  '                }',
  '        ]',
].join('\n');
const JP: PreviewResult = { stack: 'jp', status: 'succeeded', changes: { update: 1, same: 4 }, resources: [DNS_CHANGE], diff: ENGINE_DIFF, error: null };

describe('the example workflows', () => {
  it('pass actionlint', { skip: actionlint ? false : 'no actionlint here (scripts/build-actionlint.sh builds one)' }, () => {
    const files = readdirSync(WORKFLOWS).map((f) => join(WORKFLOWS, f));
    const run = spawnSync(actionlint ?? 'actionlint', ['-no-color', ...files], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.ok(files.some((f) => f.endsWith('drift.yml')) && files.some((f) => f.endsWith('preview.yml')));
  });

  it('run xplane drift on a schedule and xplane validate, plan and preview on pull requests', () => {
    const drift = parse(readFileSync(join(WORKFLOWS, 'drift.yml'), 'utf8')) as {
      on: { schedule: { cron: string }[] };
      jobs: { drift: { steps: { run?: string }[] } };
    };
    assert.ok(drift.on.schedule[0]?.cron);
    assert.ok(drift.jobs.drift.steps.some((s) => s.run?.includes('npx xplane drift --json')));
    const preview = readFileSync(join(WORKFLOWS, 'preview.yml'), 'utf8');
    for (const command of ['npx xplane validate', 'npx xplane plan', 'npx xplane preview', 'scripts/ci/ci-report.ts preview'])
      assert.ok(preview.includes(command), command);
  });
});

describe('the preview comment', () => {
  it('starts with the marker and shows each changed resource with its properties and the engine’s diff', () => {
    const body = previewComment({ preview: [JP, { stack: 'sg', status: 'succeeded', changes: { same: 5 }, resources: [], diff: '', error: null }] });
    assert.equal(body.split('\n')[0], PREVIEW_MARKER);
    assert.match(body, /^\| jp \| succeeded \| \+0 ~1 -0 \|$/m);
    assert.match(body, /<summary><b>jp<\/b>: 1 resource change \(\+0 ~1 -0\)<\/summary>/);
    assert.match(
      body,
      /^\| ~ \| `svc-plus-dns` \| xplane:LocalDnsRecords \| `records\[0\]\.weight`: 100 → 40<br>`records\[1\]`: \+ \{"node":"jp-svc-plus-2",.*\} \|$/m,
    );
    assert.match(body, /```diff\n/);
    assert.match(body, /^!\s+~ weight: 100 => 40$/m, 'changed lines marked for GitHub’s diff colours');
    assert.match(body, /^\+\s+\+ \[1\]: \{$/m);
    assert.match(body, /<b>sg<\/b>: no resource changes/);
  });

  it('adds validate’s verdict, plan’s would-be commits and other steps’ sections when given', () => {
    const body = previewComment({
      preview: [],
      validate: {
        text: 'platform-config/autoscale/svc-plus.yaml:21:19 regions.jp.scale_up_cpu: expected a number between 0 and 1, got "high"\ninvalid: 1 problem\n',
        exit: 1,
      },
      plan: 'head 3fa8ef1: the loop would commit:\n\n    autoscale: svc-plus jp 1→2 (min 2)\n',
      sections: [{ title: 'Simulation', markdown: '| a | b |\n| --- | --- |\n' }],
    });
    assert.match(body, /### Declarations: invalid\n\n```text\nplatform-config\/autoscale\/svc-plus\.yaml:21:19/);
    assert.match(body, /### What the control loop would commit after this merges \(`xplane plan`\)\n\n```diff\nhead 3fa8ef1/);
    assert.match(body, /### Simulation\n\n\| a \| b \|/);
    assert.match(body, /No stack is affected by this change\./);
  });

  it('shows a failed stack’s error and keeps a fence inside text from closing the block', () => {
    const body = previewComment({ preview: [{ stack: 'jp', status: 'failed', changes: {}, resources: [], diff: null, error: 'error: ```boom```\nmore' }] });
    assert.match(body, /<details open><summary><b>jp<\/b>: preview failed<\/summary>\n\n````text\nerror: ```boom```\nmore\n````/);
  });

  it('stays under GitHub’s comment limit when the diffs are huge', () => {
    const big = { ...JP, diff: `${ENGINE_DIFF}\n`.repeat(3000) };
    const body = previewComment({ preview: [big, { ...big, stack: 'sg' }] });
    assert.ok(body.length < 65_536, String(body.length));
    assert.match(body, /… \(cut: the whole diff is in the job's log\)/);
  });

  it('leaves lines without a sign as context', () => {
    assert.equal(diffForGithub('    [id=x]\n  - aws:ec2/instance:Instance: (delete)'), '     [id=x]\n-  - aws:ec2/instance:Instance: (delete)');
  });
});

describe('the drift report', () => {
  const report: DriftReport = {
    drift: true,
    stacks: [
      {
        stack: 'jp',
        status: 'drifted',
        resources: [
          { op: 'delete', type: 'pulumi-nodejs:dynamic/xplane:LocalNode', name: 'jp-svc-plus-2', properties: [] },
          { ...DNS_CHANGE, properties: [{ path: 'records[0].weight', old: 100, new: 7 }] },
        ],
        error: null,
      },
      { stack: 'sg', status: 'clean', resources: [], error: null },
    ],
  };
  it('lists what changed per stack, recorded → real, and how to put it back', () => {
    const body = driftMarkdown(report, 'https://ci.example/runs/1');
    assert.equal(body.split('\n')[0], DRIFT_MARKER);
    assert.match(body, /^\| gone \| `jp-svc-plus-2` \| xplane:LocalNode \| {2}\|$/m);
    assert.match(body, /^\| changed \| `svc-plus-dns` \| xplane:LocalDnsRecords \| `records\[0\]\.weight`: 100 → 7 \|$/m);
    assert.match(body, /\*\*sg\*\*: no drift/);
    assert.match(body, /xplane converge --refresh/);
    assert.match(body, /Found by https:\/\/ci\.example\/runs\/1/);
  });
});

/** A recording stand-in for the bits of Octokit the workflows' scripts call. */
function fakeGithub(existing: { comments?: unknown[]; issues?: unknown[] }) {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const record =
    (method: string) =>
    async (params: Record<string, unknown>): Promise<{ data: unknown }> => {
      calls.push({ method, params });
      return { data: {} };
    };
  const issues = {
    listComments: record('listComments'),
    listForRepo: record('listForRepo'),
    createComment: record('createComment'),
    updateComment: record('updateComment'),
    create: record('create'),
    update: record('update'),
  };
  const github = {
    rest: { issues },
    paginate: async (fn: unknown): Promise<unknown[]> => (fn === issues.listComments ? (existing.comments ?? []) : (existing.issues ?? [])),
  };
  return { github, calls };
}

/** Runs a workflow step's github-script body the way actions/github-script does: an async function of github, context, require, process. */
async function runStep(workflow: string, stepName: string, files: Record<string, string>, github: unknown, env: Record<string, string> = {}): Promise<void> {
  const doc = parse(readFileSync(join(WORKFLOWS, workflow), 'utf8')) as { jobs: Record<string, { steps: { name?: string; with?: { script?: string } }[] }> };
  const step = Object.values(doc.jobs)
    .flatMap((j) => j.steps)
    .find((s) => s.name === stepName);
  const script = step?.with?.script;
  assert.ok(script, `${workflow}: no github-script step named ${stepName}`);
  const fakeRequire = (name: string): unknown => {
    assert.equal(name, 'fs');
    return { readFileSync: (path: string) => files[path] ?? assert.fail(`the script read ${path}`) };
  };
  const context = { repo: { owner: 'acme', repo: 'gitops' }, issue: { number: 7 } };
  const AsyncFunction = (Object.getPrototypeOf(async () => undefined) as { constructor: unknown }).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction('github', 'context', 'require', 'process', script)(github, context, fakeRequire, { env });
}

describe('the workflows’ github-script steps', () => {
  const step = 'Comment on the pull request (one comment, updated in place)';
  const body = previewComment({ preview: [JP] });

  it('creates the preview comment on the first push', async () => {
    const { github, calls } = fakeGithub({ comments: [{ id: 1, user: { type: 'User' }, body: 'LGTM' }] });
    await runStep('preview.yml', step, { 'comment.md': body }, github);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['createComment'],
    );
    assert.deepEqual(calls[0]?.params, { owner: 'acme', repo: 'gitops', issue_number: 7, body });
  });

  it('updates its own comment in place on later pushes, and leaves a person’s quote of it alone', async () => {
    const { github, calls } = fakeGithub({
      comments: [
        { id: 1, user: { type: 'User' }, body: `${PREVIEW_MARKER}\nquoted by a human` },
        { id: 2, user: { type: 'Bot' }, body: `${PREVIEW_MARKER}\n## xplane preview\nold` },
      ],
    });
    await runStep('preview.yml', step, { 'comment.md': body }, github);
    assert.deepEqual(calls, [{ method: 'updateComment', params: { owner: 'acme', repo: 'gitops', comment_id: 2, body } }]);
  });

  const driftStep = 'Keep the drift issue up to date';
  const driftBody = driftMarkdown({ drift: true, stacks: [{ stack: 'jp', status: 'drifted', resources: [DNS_CHANGE], error: null }] });

  it('opens one drift issue when drift is found, and updates it on the next run', async () => {
    const first = fakeGithub({ issues: [] });
    await runStep('drift.yml', driftStep, { 'drift.md': driftBody }, first.github, { DRIFT_EXIT: '3' });
    assert.deepEqual(first.calls, [
      { method: 'create', params: { owner: 'acme', repo: 'gitops', title: 'Drift: resources changed outside Pulumi', labels: ['drift'], body: driftBody } },
    ]);
    const next = fakeGithub({ issues: [{ number: 12, body: driftBody }] });
    await runStep('drift.yml', driftStep, { 'drift.md': driftBody }, next.github, { DRIFT_EXIT: '3' });
    assert.deepEqual(next.calls, [{ method: 'update', params: { owner: 'acme', repo: 'gitops', issue_number: 12, body: driftBody } }]);
  });

  it('closes the drift issue when a run finds none, and does nothing when there is none', async () => {
    const clean = driftMarkdown({ drift: false, stacks: [{ stack: 'jp', status: 'clean', resources: [], error: null }] });
    const { github, calls } = fakeGithub({ issues: [{ number: 12, body: driftBody }] });
    await runStep('drift.yml', driftStep, { 'drift.md': clean }, github, { DRIFT_EXIT: '0' });
    assert.deepEqual(
      calls.map((c) => [c.method, c.params.state ?? c.params.body]),
      [
        ['createComment', 'No drift any more: closing.'],
        ['update', 'closed'],
      ],
    );
    const none = fakeGithub({ issues: [] });
    await runStep('drift.yml', driftStep, { 'drift.md': clean }, none.github, { DRIFT_EXIT: '0' });
    assert.deepEqual(none.calls, []);
  });
});

describe('scripts/ci/ci-report.ts from the command line, as the workflows run it', () => {
  it('writes the preview comment and the drift report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xplane-ci-report-'));
    try {
      writeFileSync(join(dir, 'preview.json'), JSON.stringify([JP]));
      writeFileSync(join(dir, 'validate.txt'), 'valid: 1 gtm policy\n');
      writeFileSync(join(dir, 'sim.md'), '| x |\n');
      const script = join(REPO_ROOT, 'scripts/ci/ci-report.ts');
      const comment = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          script,
          'preview',
          '--preview',
          join(dir, 'preview.json'),
          '--validate',
          join(dir, 'validate.txt'),
          '--validate-exit',
          '0',
          '--section',
          `Simulation=${join(dir, 'sim.md')}`,
        ],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      assert.equal(
        comment,
        previewComment({ preview: [JP], validate: { text: 'valid: 1 gtm policy\n', exit: 0 }, sections: [{ title: 'Simulation', markdown: '| x |\n' }] }),
      );
      writeFileSync(join(dir, 'drift.json'), JSON.stringify({ drift: false, stacks: [] }));
      const drift = execFileSync(process.execPath, ['--import', 'tsx', script, 'drift', join(dir, 'drift.json')], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(drift, driftMarkdown({ drift: false, stacks: [] }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
