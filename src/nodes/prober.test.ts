import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { HealthCheck } from '../config/index.js';
import type { OpenWatch } from './connection-watch.js';
import type { ProbeOutcome } from './probe.js';
import { Prober, type ProbeTarget } from './prober.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const health = (interval: number, extra: Partial<HealthCheck> = {}): HealthCheck => ({
  type: 'http',
  path: '/healthz',
  port: 1,
  interval,
  timeout: 200,
  rise: 2,
  fall: 3,
  ...extra,
});

const target = (name: string, interval: number, extra: Partial<HealthCheck> = {}): ProbeTarget => ({
  name,
  host: '127.0.0.1',
  health: health(interval, extra),
});

const OK: ProbeOutcome = { ok: true, hard: false, detail: 'status 200', ms: 1 };

// A fake probe that records starts per host key and overlap, and takes `ms` to answer.
function fakeProbe(ms: number) {
  const starts = new Map<string, number[]>();
  const active = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  let maxPerTarget = 0;
  const t0 = Date.now();
  const probe = async (_host: string, h: HealthCheck): Promise<ProbeOutcome> => {
    const key = h.path; // each test target gets its own path so the fake can tell them apart
    starts.set(key, [...(starts.get(key) ?? []), Date.now() - t0]);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    active.set(key, (active.get(key) ?? 0) + 1);
    maxPerTarget = Math.max(maxPerTarget, active.get(key) ?? 0);
    await sleep(ms);
    active.set(key, (active.get(key) ?? 1) - 1);
    inFlight--;
    return OK;
  };
  return {
    probe,
    starts,
    count: (key: string) => starts.get(key)?.length ?? 0,
    get maxInFlight() {
      return maxInFlight;
    },
    get maxPerTarget() {
      return maxPerTarget;
    },
  };
}

const named = (n: number, interval: number): ProbeTarget[] =>
  Array.from({ length: n }, (_, i) => ({ name: `n${i}`, host: '127.0.0.1', health: health(interval, { path: `/n${i}` }) }));

describe('Prober scheduling', () => {
  it('probes each target about once per interval', async () => {
    const fake = fakeProbe(1);
    const targets = [...named(2, 50), { name: 'slow', host: '127.0.0.1', health: health(200, { path: '/slow' }) }];
    const results: string[] = [];
    const p = new Prober({ targets: () => targets, onResult: (name) => results.push(name), probe: fake.probe, watch: false, tickMs: 5 });
    p.start();
    await sleep(600);
    await p.stop();
    for (const key of ['/n0', '/n1']) {
      const c = fake.count(key);
      assert.ok(c >= 7 && c <= 13, `${key} probed ${c} times in 600 ms at 50 ms`);
    }
    const slow = fake.count('/slow');
    assert.ok(slow >= 2 && slow <= 4, `slow probed ${slow} times in 600 ms at 200 ms`);
    assert.equal(results.length, fake.count('/n0') + fake.count('/n1') + slow, 'every probe is reported');
  });

  it('never has more probes in flight than the concurrency', async () => {
    const fake = fakeProbe(20);
    let maxSeen = 0;
    const p = new Prober({ targets: () => named(40, 20), onResult: () => {}, probe: fake.probe, watch: false, tickMs: 5, concurrency: 4 });
    p.start();
    for (let i = 0; i < 30; i++) {
      maxSeen = Math.max(maxSeen, p.inFlight);
      await sleep(5);
    }
    await p.stop();
    assert.equal(fake.maxInFlight, 4, 'the limit is reached and never exceeded');
    assert.ok(maxSeen <= 4);
    assert.equal(p.inFlight, 0);
  });

  it('does not start a probe of a target while its previous one is in flight', async () => {
    const fake = fakeProbe(60);
    const p = new Prober({ targets: () => named(3, 10), onResult: () => {}, probe: fake.probe, watch: false, tickMs: 5 });
    p.start();
    await sleep(300);
    await p.stop();
    assert.equal(fake.maxPerTarget, 1);
    const c = fake.count('/n0');
    assert.ok(c >= 3 && c <= 6, `a 60 ms probe every 10 ms runs back to back: ${c} in 300 ms`);
  });

  it('spreads the first probes of new targets over their first interval', async () => {
    const fake = fakeProbe(1);
    const n = 20;
    let i = 0;
    // Deterministic "random": the k-th new target gets offset k/n of the interval.
    const random = () => (i++ % n) / n;
    const p = new Prober({ targets: () => named(n, 300), onResult: () => {}, probe: fake.probe, watch: false, tickMs: 5, random });
    p.start();
    await sleep(330);
    await p.stop();
    const firsts = Array.from({ length: n }, (_, k) => fake.starts.get(`/n${k}`)?.[0] ?? Number.NaN);
    assert.ok(
      firsts.every((t) => Number.isFinite(t)),
      'each target was probed within its first interval',
    );
    const early = firsts.filter((t) => t < 150).length;
    assert.ok(early >= 7 && early <= 13, `about half the first probes fall in the first half of the interval: ${early}`);
    assert.ok((firsts[0] ?? 99) < 50 && (firsts[n - 1] ?? 0) > 200, `offsets follow random(): ${firsts.join(',')}`);
  });

  it('jitters later probes by ±10% of the interval', async () => {
    const fake = fakeProbe(0);
    let flip = false;
    // Alternate the extremes: offsets -10% and +10%.
    const random = () => {
      flip = !flip;
      return flip ? 0 : 0.999;
    };
    const p = new Prober({ targets: () => named(1, 100), onResult: () => {}, probe: fake.probe, watch: false, tickMs: 2, random });
    p.start();
    await sleep(520);
    await p.stop();
    const s = fake.starts.get('/n0') ?? [];
    const gaps = s.slice(1).map((t, k) => t - (s[k] ?? 0));
    assert.ok(gaps.length >= 3, `gaps: ${gaps.join(',')}`);
    assert.ok(gaps.some((g) => g < 100) && gaps.some((g) => g > 105), `gaps alternate around the interval: ${gaps.join(',')}`);
    assert.ok(
      gaps.every((g) => g >= 88 && g < 150),
      `gaps stay near the interval: ${gaps.join(',')}`,
    );
  });

  it('forgets targets that disappear and ignores their late results', async () => {
    const fake = fakeProbe(30);
    let targets = named(2, 20);
    const results: string[] = [];
    const p = new Prober({ targets: () => targets, onResult: (name) => results.push(name), probe: fake.probe, watch: false, tickMs: 5, random: () => 0 });
    p.start();
    await sleep(10); // both probes in flight
    targets = targets.filter((t) => t.name !== 'n1');
    await sleep(100);
    const after = fake.count('/n1');
    await sleep(100);
    await p.stop();
    assert.equal(fake.count('/n1'), after, 'n1 is not probed after it disappeared');
    assert.ok(fake.count('/n0') > after);
    assert.ok(!results.includes('n1'), 'the result of the probe that was in flight is dropped');
  });

  it('stop() waits for the probes in flight', async () => {
    let release: () => void = () => {};
    const probe = () => new Promise<ProbeOutcome>((r) => (release = () => r(OK)));
    const results: string[] = [];
    const p = new Prober({ targets: () => named(1, 1_000), onResult: (n) => results.push(n), probe, watch: false, tickMs: 5, random: () => 0 });
    p.start();
    assert.equal(p.inFlight, 1);
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await sleep(20);
    assert.equal(stopped, false);
    release();
    await stopping;
    assert.deepEqual(results, ['n0']);
    assert.equal(p.inFlight, 0);
  });

  it('keeps running when a probe throws or onResult throws', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const probe = async (): Promise<ProbeOutcome> => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return OK;
    };
    const outcomes: ProbeOutcome[] = [];
    const p = new Prober({
      targets: () => named(1, 20),
      onResult: (_n, o) => {
        outcomes.push(o);
        if (outcomes.length === 2) throw new Error('consumer failed');
      },
      onError: (e) => errors.push(e),
      probe,
      watch: false,
      tickMs: 5,
      random: () => 0.5,
    });
    p.start();
    await sleep(120);
    await p.stop();
    assert.equal(outcomes[0]?.ok, false);
    assert.equal(outcomes[0].detail, 'boom');
    assert.ok(outcomes.length >= 3, `kept probing: ${outcomes.length}`);
    assert.equal(errors.length, 1);
  });
});

describe('Prober watches', () => {
  // A fake watch: records what is opened and lets the test close a connection as a dying node would.
  function fakeWatch() {
    const open: { host: string; port: number; lose: () => void; closed: boolean }[] = [];
    const watch: OpenWatch = (host, port, _timeout, onLost) => {
      const w = { host, port, closed: false, lose: () => onLost('closed by the node') };
      open.push(w);
      return { close: () => (w.closed = true) };
    };
    return { watch, open };
  }

  it('probes a node at once when the connection held to it closes, not at its next interval', async () => {
    const fake = fakeProbe(1);
    const { watch, open } = fakeWatch();
    const p = new Prober({ targets: () => named(1, 10_000), onResult: () => {}, probe: fake.probe, watch, tickMs: 5, random: () => 0 });
    p.start();
    await waitFor(() => open.length === 1);
    assert.equal(fake.count('/n0'), 1);
    open[0]?.lose();
    await waitFor(() => fake.count('/n0') === 2);
    await p.stop();
    assert.equal(open[0]?.host, '127.0.0.1');
    assert.equal(open[0].port, 1);
  });

  it('opens at most one connection to a node per interval, so a node that drops idle connections costs little', async () => {
    const fake = fakeProbe(1);
    const { watch, open } = fakeWatch();
    const p = new Prober({ targets: () => named(1, 200), onResult: () => {}, probe: fake.probe, watch, tickMs: 5, random: () => 0 });
    p.start();
    // Every connection is dropped as soon as it opens.
    const dropping = setInterval(() => open.at(-1)?.lose(), 1);
    await sleep(1_000);
    clearInterval(dropping);
    await p.stop();
    assert.ok(open.length <= 6, `${open.length} connections in 1 s at a 200 ms interval`);
    assert.ok(fake.count('/n0') <= 12, `${fake.count('/n0')} probes in 1 s at a 200 ms interval`);
  });

  it('holds no connection to a node whose last probe failed, and closes them all on stop', async () => {
    let ok = true;
    const probe = async (): Promise<ProbeOutcome> => (ok ? OK : { ok: false, hard: true, detail: 'connection refused', ms: 1 });
    const { watch, open } = fakeWatch();
    const p = new Prober({ targets: () => named(2, 30), onResult: () => {}, probe, watch, tickMs: 5, random: () => 0 });
    p.start();
    await waitFor(() => open.length === 2);
    ok = false;
    await waitFor(() => open.every((w) => w.closed));
    ok = true;
    await waitFor(() => open.filter((w) => !w.closed).length === 2);
    await p.stop();
    assert.ok(
      open.every((w) => w.closed),
      'stop closed every connection',
    );
  });
});

describe('Prober against real servers', () => {
  const servers: Server[] = [];
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('reports passes, failures and the recovery of real HTTP nodes', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.writeHead(status).end();
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const seen: { name: string; ok: boolean; detail: string }[] = [];
    const p = new Prober({
      targets: () => [target('good', 30, { port })],
      onResult: (name, o) => seen.push({ name, ok: o.ok, detail: o.detail }),
      tickMs: 5,
    });
    p.start();
    await waitFor(() => seen.length >= 2);
    status = 500;
    await waitFor(() => seen.at(-1)?.detail === 'status 500');
    status = 200;
    await waitFor(() => seen.at(-1)?.ok === true);
    await p.stop();
    assert.equal(seen[0]?.ok, true);
  });
});

describe('Prober against a real process', () => {
  it('reports a node killed with SIGKILL within milliseconds, through the connection it holds', async () => {
    // A node process of its own, so its death is a real kill -9: the kernel closes its sockets.
    const node = spawn(
      process.execPath,
      ['-e', "const s = require('node:http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => console.log(s.address().port))"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(node.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const seen: { at: number; ok: boolean; hard: boolean; detail: string }[] = [];
      // A long interval: only the closed connection can explain a probe soon after the kill.
      const p = new Prober({
        targets: () => [target('n', 10_000, { port })],
        onResult: (_n, o) => seen.push({ at: performance.now(), ...o }),
        tickMs: 5,
        random: () => 0,
      });
      p.start();
      await waitFor(() => seen.length === 1);
      assert.equal(seen[0]?.ok, true);
      await sleep(50); // the connection is opened after the passing probe
      const killedAt = performance.now();
      node.kill('SIGKILL');
      await waitFor(() => seen.length === 2);
      await p.stop();
      const second = seen[1];
      assert.equal(second?.ok, false);
      // Refused, or reset when the probe reached the listener while the kernel was still closing the process's sockets: hard either way.
      assert.match(second.detail, /^connection (refused|reset)$/);
      assert.equal(second.hard, true);
      assert.ok(second.at - killedAt < 500, `probed ${Math.round(second.at - killedAt)} ms after the kill`);
    } finally {
      node.kill('SIGKILL');
    }
  });
});

describe('Prober and a node that shuts down gracefully', () => {
  it('lets the node’s server.close() finish within about an interval: the refused probe drops the connection it holds', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const seen: ProbeOutcome[] = [];
    const p = new Prober({ targets: () => [target('n', 200, { port })], onResult: (_n, o) => seen.push(o), tickMs: 5, random: () => 0 });
    p.start();
    await waitFor(() => seen.length >= 2);
    // close() waits for open connections, and one that never sent a request is not idle to Node.
    const closing = performance.now();
    await new Promise((resolve) => server.close(resolve));
    const ms = performance.now() - closing;
    await p.stop();
    assert.ok(ms < 1_000, `server.close() took ${Math.round(ms)} ms at a 200 ms interval`);
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(5);
  }
  assert.fail('condition never met');
}
