// Nodes that leave `nodes` without a size change: finished drains and deleted
// names (kind `remove`), and nodes down too long, each swapped for a new name
// (kind `replace`). Neither waits for the cooldown nor starts one; while the
// service is frozen both are held back. The rules are in compute.ts's header
// (Removal, Replacement, Frozen).
import { dropName, holdBack, recount, record, type PassState, type RegionState } from './pass-state.js';

/** Phase "remove finished": drops deleted names and drained nodes whose drain has lasted drainMs, then recounts the region. */
export function removeFinished(pass: PassState, r: RegionState): void {
  const { now, drainMs } = pass.input;
  const frozen = pass.input.frozen !== undefined;
  let dropped = false;
  // dropName() replaces r.nodes with a filtered copy, so this loop walks the list as it was.
  for (const name of r.nodes) {
    const o = r.obs.get(name);
    if (!o) continue;
    if (o.state === 'deleted') {
      if (frozen) {
        holdBack(r, { kind: 'remove', node: name, gone: { kind: 'deleted' } });
        continue;
      }
      dropName(r, name);
      dropped = true;
      record(pass, r, { kind: 'remove', node: name, gone: { kind: 'deleted' } }, { node: name });
      continue;
    }
    if (o.state !== 'drain') continue;
    const since = o.stateSince ?? o.addedAt;
    if (since + drainMs > now) continue;
    const gone = { kind: 'drained', forMs: now - since } as const;
    if (frozen) {
      holdBack(r, { kind: 'remove', node: name, gone });
      continue;
    }
    dropName(r, name);
    dropped = true;
    pass.removed.push(name);
    record(pass, r, { kind: 'remove', node: name, gone }, { node: name, drained_ms: now - since, drain_ms: drainMs });
  }
  if (dropped) recount(pass.input, r);
}

/** Phase "replacements": a node down for replace_after or longer (seen so in this term) leaves, and a new name takes its place. */
export function replaceDown(pass: PassState, r: RegionState): void {
  const { now } = pass.input;
  const after = pass.input.policy.global.replace_after;
  for (const name of [...r.nodes]) {
    const o = r.obs.get(name);
    // Down only in the store's word from before this term is not evidence yet (contract §3).
    if (!o || o.state !== 'down' || o.loaded === true) continue;
    const downFor = now - (o.stateSince ?? o.addedAt);
    if (downFor < after) continue;
    if (pass.input.frozen !== undefined) {
      holdBack(r, { kind: 'replace', node: name, downMs: downFor });
      continue;
    }
    dropName(r, name);
    r.obs.delete(name);
    const fresh = r.names.take();
    r.nodes.push(fresh);
    r.excluded.push(fresh);
    pass.removed.push(name);
    record(pass, r, { kind: 'replace', node: name, by: fresh, downMs: downFor }, { node: name, replacement: fresh, down_ms: downFor, replace_after_ms: after });
  }
}
