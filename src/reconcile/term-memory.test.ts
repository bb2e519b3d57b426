// A failover on the in-memory Git remote, one SQLite store shared by the
// leaders, the node registry with a test clock. Each leader is its own
// Reconciler, as another replica would be; they share the registry only to
// keep the node facts identical (a new leader loads the same records from the
// store), so the one thing that differs is the loop's memory.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openStore } from '../store/index.js';
import { tempDir } from '../testing/index.js';
import type { Reconciler } from './reconciler.js';
import { activate, beat, lastMessage, rig as baseRig, stack, type Rig as BaseRig } from './test-fixtures.js';

const COOLDOWN_MS = 120_000; // platform-config/autoscale/svc-plus.yaml
const MIN_CHANGE_INTERVAL_MS = 60_000; // the gtm default; svc-plus does not set it

interface Rig extends BaseRig {
  dir: string;
  /** A new leader: a Reconciler on the shared store, remote and registry. */
  leader(name: string): Reconciler;
}

async function rig(): Promise<Rig> {
  const dir = tempDir();
  const store = await openStore(join(dir, 'x.db'));
  const base = await baseRig(
    {
      'stacks/Pulumi.jp.yaml': stack('jp', 100, ['jp-svc-plus-1', 'jp-svc-plus-2']),
      'stacks/Pulumi.sg.yaml': stack('sg', 10, ['sg-svc-plus-1', 'sg-svc-plus-2']),
    },
    store,
  );
  return { ...base, dir, leader: () => base.reconciler().reconciler };
}

const lines = (decisions: { summary: string }[] | undefined): string[] => (decisions ?? []).map((d) => d.summary);

describe('a new leader’s memory (Reconciler.beginTerm)', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
    for (const name of ['jp-svc-plus-1', 'jp-svc-plus-2', 'sg-svc-plus-1', 'sg-svc-plus-2']) activate(r, name);
  });
  afterEach(async () => {
    await r.registry.stop();
    await r.store.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  it('honours the cooldown of a scale up the previous leader made', async () => {
    const first = r.leader('a');
    await first.beginTerm();
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2');
    assert.deepEqual(await first.pass(), { kind: 'done' });
    assert.match(lastMessage(r), /^autoscale: svc-plus jp 2→3 \(cpu=0\.90\)/m);
    await first.stop();

    // The new node comes up and takes load: nothing but the cooldown stands between jp and another scale up.
    r.clock.t += 30_000;
    activate(r, 'jp-svc-plus-3');
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3');

    const next = r.leader('b');
    await next.beginTerm();
    assert.deepEqual(await next.pass(), { kind: 'done' });
    const plan = next.lastReport?.plan;
    assert.deepEqual(
      lines(plan?.decisions).filter((l) => l.startsWith('autoscale:')),
      [],
      'no second scale up within the cooldown',
    );
    assert.match(plan?.services['svc-plus']?.autoscale?.regions.jp?.reason ?? '', /cooldown 90s left/);

    // The control: the same head and the same nodes, with the memory a new leader had before beginTerm.
    const forgetful = r.leader('c');
    assert.deepEqual(
      lines((await forgetful.preview()).decisions).filter((l) => l.startsWith('autoscale:')),
      ['autoscale: svc-plus jp 3→4 (cpu=0.90)'],
      'without the restored memory the new leader would scale again at once',
    );

    // The restored time is the real one: once the cooldown has run out, jp scales again.
    r.clock.t += COOLDOWN_MS - 30_000;
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3');
    await next.pass();
    assert.match(lastMessage(r), /^autoscale: svc-plus jp 3→4 \(cpu=0\.90\)/m);
  });

  it('honours min_change_interval of a weight change the previous leader made', async () => {
    const first = r.leader('a');
    await first.beginTerm();
    r.registry.applyProbe('sg-svc-plus-2', { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    await first.pass();
    assert.equal(
      lastMessage(r),
      ['xplane: 2 changes (svc-plus)', '', 'gtm: svc-plus sg weight 10→5 (ready 1/2)', 'gtm: svc-plus sg exclude sg-svc-plus-2 (down)'].join('\n'),
    );
    await first.stop();

    // The node comes back: its agent heartbeats again and two probes pass.
    r.clock.t += 20_000;
    beat(r, 0.4, 'sg-svc-plus-2');
    r.registry.applyProbe('sg-svc-plus-2', { ok: true, hard: false, detail: '', ms: 1 });
    r.registry.applyProbe('sg-svc-plus-2', { ok: true, hard: false, detail: '', ms: 1 });

    const next = r.leader('b');
    await next.beginTerm();
    await next.pass();
    assert.deepEqual(lines(next.lastReport?.plan?.decisions), ['gtm: svc-plus sg include sg-svc-plus-2 (active)'], 'back in DNS, but the weight waits');
    assert.match(
      next.lastReport?.plan?.services['svc-plus']?.gtm?.regions.sg?.reason ?? '',
      /waiting: last change 20s ago < min_change_interval 1m; keeps 5, wants 10/,
    );

    const forgetful = r.leader('c');
    assert.deepEqual(
      lines((await forgetful.preview()).decisions),
      ['gtm: svc-plus sg weight 5→10 (ready 2/2)'],
      'without the restored memory the weight would change at once',
    );

    r.clock.t += MIN_CHANGE_INTERVAL_MS - 20_000;
    await next.pass();
    assert.equal(lastMessage(r), 'gtm: svc-plus sg weight 5→10 (ready 2/2)');
  });

  it('drops what an earlier term of the same process remembered for what the log says now', async () => {
    const a = r.leader('a');
    await a.beginTerm();
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2');
    await a.pass();
    assert.match(lastMessage(r), /^autoscale: svc-plus jp 2→3/m);
    await a.stop();

    // Another replica leads for a while and scales jp again after the cooldown.
    r.clock.t += COOLDOWN_MS + 10_000;
    activate(r, 'jp-svc-plus-3');
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3');
    const b = r.leader('b');
    await b.beginTerm();
    await b.pass();
    assert.match(lastMessage(r), /^autoscale: svc-plus jp 3→4/m);
    await b.stop();

    // The first replica leads again 30s later. Its own memory dates jp's last change to its term.
    r.clock.t += 30_000;
    activate(r, 'jp-svc-plus-4');
    beat(r, 0.9, 'jp-svc-plus-1', 'jp-svc-plus-2', 'jp-svc-plus-3', 'jp-svc-plus-4');
    const scaleUps = async (): Promise<string[]> => lines((await a.preview()).decisions).filter((l) => l.startsWith('autoscale:'));
    assert.deepEqual(await scaleUps(), ['autoscale: svc-plus jp 4→5 (cpu=0.90)'], 'stale memory: the cooldown looks long over');
    await a.beginTerm();
    assert.deepEqual(await scaleUps(), [], 'the log: jp changed 30s ago');
  });
});
