// Wording shared by commit lines and plan reasons. Commit subjects are read by
// humans in `git log`, so times are short and whole: `60s`, `5m`, `2h`.

/** CPU as the commit line shows it: two decimals, `0.90`. */
export function cpuText(cpu: number): string {
  return cpu.toFixed(2);
}

/** An elapsed or remaining time the way kubectl shows ages: `450ms`, `60s`, `4m59s`, `5m`, `17m`, `3h`; `round` says which way to round. */
export function spanText(ms: number, round: 'down' | 'up' = 'down'): string {
  const v = Math.max(0, ms);
  if (v === 0) return '0s';
  if (v < 1_000) return `${round === 'up' ? Math.ceil(v) : Math.floor(v)}ms`;
  const s = round === 'up' ? Math.ceil(v / 1_000) : Math.floor(v / 1_000);
  // Seconds up to two minutes keep `drained 60s` and `90s` exact; minutes and seconds up to
  // ten minutes, where the difference still matters; then whole minutes, then whole hours.
  if (s < 120) return `${s}s`;
  if (s < 600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 7_200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3_600)}h`;
}

/** `1 new node`, `2 new nodes`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
