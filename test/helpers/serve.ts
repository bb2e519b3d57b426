// A real `xplane serve` process on loopback, for integration tests and
// benchmarks, and writing benchmark results to bench/results/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running `xplane serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `xplane serve` with `args` and waits until /readyz answers 200. */
export async function startServe(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<ServeProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // DNS on a port of its own (0: any free one), so parallel servers never collide on 5353.
  const child = spawn(process.execPath, [join(ROOT, 'bin/xplane.js'), 'serve', '--listen', `127.0.0.1:${port}`, '--dns-listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, XPLANE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-20_000);
  });
  child.stdout.resume();
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`xplane serve exited with ${child.exitCode}: ${err}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`xplane serve did not become ready in ${timeoutMs} ms: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Peak resident set size (VmHWM) of a process in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
  return Math.round((kb / 1024) * 10) / 10;
}

/** The replica's xplane_leader gauge, or undefined when it does not answer. */
export async function leaderGauge(replica: ServeProcess): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(1_000) })).text();
    const match = /^xplane_leader (\d)/m.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `results` to bench/results/<name>.json and a readable <name>.md. */
export function writeResults(name: string, results: Record<string, unknown>, markdown: string): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown);
  return join(dir, `${name}.json`);
}

/** Prints a progress line to stderr. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
