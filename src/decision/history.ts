// One entry of the loop's decision history (GET /v1/history, `xplane history`,
// the status page): a stored decision with its change as `from → to`, read
// from the numbers its reason already carries, so every decision ever stored
// reads the same way without a new column.
import type { DecisionRecord } from '../store/index.js';

/** A decision as the history shows it. */
export interface HistoryEntry {
  /** When the loop made it (ISO 8601). */
  at: string;
  /** The commit that carried it; null when it was never pushed (dry run). */
  commit: string | null;
  controller: DecisionRecord['controller'];
  service: string;
  region: string;
  kind: string;
  /**
   * What changed, before and after: the weight (`weight`, `create_pool` from null), the node count
   * (`scale_up`, `scale_down`), or a node's name (`replace` old → new; `exclude` null → the node now
   * excluded; `include`, `forget`, `remove` the node → null). Null where the reason does not say.
   */
  from: number | string | null;
  to: number | string | null;
  /** The commit line, e.g. `autoscale: svc-plus jp 1→2 (cpu=0.82)`. */
  summary: string;
  /** The numbers behind it. */
  why: DecisionRecord['why'];
}

type Value = number | string | null;

function value(why: DecisionRecord['why'], key: string): Value {
  const v = why[key];
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

/** The change a decision made, as `from` and `to`. */
export function changeOf(record: Pick<DecisionRecord, 'kind' | 'why'>): { from: Value; to: Value } {
  const { why } = record;
  switch (record.kind) {
    case 'weight':
    case 'scale_up':
    case 'scale_down':
      return { from: value(why, 'from'), to: value(why, 'to') };
    case 'create_pool':
      return { from: null, to: value(why, 'to') };
    case 'replace':
      return { from: value(why, 'node'), to: value(why, 'replacement') };
    case 'exclude':
      return { from: null, to: value(why, 'node') };
    case 'include':
    case 'forget':
    case 'remove':
      return { from: value(why, 'node'), to: null };
    default:
      return { from: null, to: null };
  }
}

/** A stored decision as a history entry. */
export function historyEntry(record: DecisionRecord): HistoryEntry {
  return {
    at: new Date(record.at).toISOString(),
    commit: record.commit,
    controller: record.controller,
    service: record.service,
    region: record.region,
    kind: record.kind,
    ...changeOf(record),
    summary: record.summary,
    why: record.why,
  };
}
