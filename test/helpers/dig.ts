// Asking a DNS server many times with the real `dig`, and comparing how often
// each address came back with the share it should have.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether `dig` runs here. */
export function hasDig(): boolean {
  return !spawnSync('dig', ['-v']).error;
}

/** What `count` A queries for `name` answered: address → times, and how many queries got no address. */
export interface DigTally {
  queries: number;
  counts: Map<string, number>;
  empty: number;
}

/** Sends `count` A queries for `name` to `host:port`, one `dig` in batch mode (one query a line, each waiting for its answer). */
export function digTally(name: string, host: string, port: number, count: number): DigTally {
  const dir = mkdtempSync(join(tmpdir(), 'xplane-dig-'));
  try {
    const batch = join(dir, 'queries');
    writeFileSync(batch, `${name} A\n`.repeat(count));
    // +short prints the answer's addresses, nothing for an empty answer; one address per answer here.
    const out = execFileSync('dig', ['+short', '+tries=1', '+time=2', `@${host}`, '-p', String(port), '-f', batch], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const counts = new Map<string, number>();
    let answered = 0;
    for (const line of out.split('\n')) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(line.trim())) continue;
      counts.set(line.trim(), (counts.get(line.trim()) ?? 0) + 1);
      answered += 1;
    }
    return { queries: count, counts, empty: count - answered };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One address's measured share against its expected one. */
export interface ShareRow {
  address: string;
  count: number;
  share: number;
  expected: number;
  /** |share − expected| in binomial standard deviations. */
  sigmas: number;
}

/** Each expected address's share of the answers, with how far it is from the expected share. */
export function shares(tally: DigTally, expected: Readonly<Record<string, number>>): ShareRow[] {
  const answered = tally.queries - tally.empty;
  return Object.entries(expected).map(([address, p]) => {
    const count = tally.counts.get(address) ?? 0;
    const share = answered === 0 ? 0 : count / answered;
    const sd = Math.sqrt((p * (1 - p)) / Math.max(1, answered));
    return { address, count, share, expected: p, sigmas: sd === 0 ? (share === p ? 0 : Infinity) : Math.abs(share - p) / sd };
  });
}

/** The rows as a line for the test's output: `127.1.1.1 41.2% (expected 41.7%, 0.3σ)`. */
export function shareLine(rows: readonly ShareRow[], queries: number): string {
  const cells = rows.map((r) => `${r.address} ${(r.share * 100).toFixed(1)}% (expected ${(r.expected * 100).toFixed(1)}%, ${r.sigmas.toFixed(1)}σ)`);
  return `${queries} queries: ${cells.join('; ')}`;
}
