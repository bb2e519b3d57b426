// Failpoints: named places where a test can make a real process stop for a
// while, so that it can be killed at a precise moment (the leader between its
// commit and its push). Off unless XPLANE_FAILPOINTS is set, e.g.
// `XPLANE_FAILPOINTS=writer.before-push=3000,writer.after-push=500` (ms).
// Read once at start; a failpoint logs when it fires so the test can see it.
import type { Logger } from './log/index.js';

/** The places a test can pause. */
export type FailpointName = 'writer.before-push' | 'writer.after-push';

const KNOWN: readonly FailpointName[] = ['writer.before-push', 'writer.after-push'];

/** Parses `name=ms,name=ms`; throws on anything else, so a typo in a test does not pass silently. */
export function parseFailpoints(spec: string | undefined): Map<FailpointName, number> {
  const out = new Map<FailpointName, number>();
  for (const part of (spec ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const match = /^([a-z.-]+)=([0-9]+)$/.exec(part);
    const name = match?.[1] as FailpointName | undefined;
    if (!match || name === undefined || !KNOWN.includes(name)) {
      throw new Error(`XPLANE_FAILPOINTS: expected name=ms with name one of ${KNOWN.join(', ')}, got "${part}"`);
    }
    out.set(name, Number(match[2]));
  }
  return out;
}

const active = parseFailpoints(process.env.XPLANE_FAILPOINTS);

/** Pauses at `name` when a test asked for it; otherwise returns at once. `what` goes into the log line. */
export async function failpoint(name: FailpointName, log: Logger, what = ''): Promise<void> {
  const ms = active.get(name);
  if (ms === undefined) return;
  log.warn({ failpoint: name, ms }, `failpoint ${name}: pausing ${ms} ms ${what}`.trim());
  await new Promise((resolve) => setTimeout(resolve, ms));
}
