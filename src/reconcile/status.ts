// The per-service status of GET /v1/services/:service: what the controllers
// concluded last pass, per region, with the reasons, holds and config commit.
import type { ConfigInForce } from '../gitops/index.js';
import type { NodeRegistry } from '../nodes/index.js';
import type { Store } from '../store/index.js';
import type { Reconciler } from './reconciler.js';
import type { Freeze } from './safety.js';

/** One region of a service's status. */
export interface RegionStatusView {
  readyNodes: number;
  desiredNodes: number | null;
  nodes: { name: string; state: string }[];
  weight: number | null;
  computedWeight: number | null;
  factors: Record<string, number> | null;
  excluded: string[];
  /**
   * Nodes serving on trust (contract §3): in DNS, not yet seen to work or to fail. Each stays until
   * `until` (provision_timeout after it became unverified, or after this term began) unless the registry hears of it.
   */
  unverified: { name: string; state: string; since: string; until: string; leftSeconds: number }[];
  gtmReason: string | null;
  autoscale: { current: number; desired: number; cpu: number | 'stale'; wanted: string; reason: string; coming: number } | null;
  lastDecision: { at: string; summary: string; why: Record<string, unknown>; commit: string | null } | null;
  holds: { key: string; until: string; commit: string; author: string }[];
}

/** The answer of GET /v1/services/:service. */
export interface ServiceStatusView {
  service: string;
  configCommit: string | null;
  alert: string | null;
  /** Set while self-protection freezes the service's evictions: why (panic | store | git), since when, in words. */
  frozen: { reason: string; since: string; detail: string } | null;
  lastPass: { at: string; commit: string | null; error: string | null } | null;
  regions: Record<string, RegionStatusView>;
}

function frozenView(f: Freeze | undefined): ServiceStatusView['frozen'] {
  return f ? { reason: f.reason, since: new Date(f.since).toISOString(), detail: f.detail } : null;
}

/** Builds service status from the parts that hold it. */
export class ServiceStatus {
  constructor(private readonly deps: { store: Store; inForce: ConfigInForce; registry: NodeRegistry; reconciler: Reconciler | null; now?: () => number }) {}

  /** The status of one service, or undefined when it is not declared. */
  async get(service: string): Promise<ServiceStatusView | undefined> {
    const decl = this.deps.inForce.declarations;
    const gtm = decl?.gtm[service];
    const autoscale = decl?.autoscale[service];
    if (!gtm && !autoscale) return undefined;
    const now = (this.deps.now ?? Date.now)();
    const report = this.deps.reconciler?.lastReport ?? null;
    const plan = report?.plan?.services[service];
    const holds = (await this.deps.store.listHolds(now)).filter((h) => h.service === service);
    const regions = [...new Set([...(gtm?.regions.map((r) => r.name) ?? []), ...Object.keys(autoscale?.regions ?? {})])].sort();
    const out: Record<string, RegionStatusView> = {};
    for (const region of regions) {
      const nodes = this.deps.registry.records({ service, region });
      const g = plan?.gtm?.regions[region];
      const a = plan?.autoscale?.regions[region];
      const [last] = await this.deps.store.listDecisions({ service, region, limit: 1 });
      out[region] = {
        readyNodes: nodes.filter((n) => n.state === 'active').length,
        desiredNodes: a?.desired ?? decl.stacks[region]?.pools[service]?.nodes.length ?? null,
        nodes: nodes.map((n) => ({ name: n.name, state: n.state })),
        weight: g?.weight ?? decl.stacks[region]?.pools[service]?.weight ?? null,
        computedWeight: g?.computed ?? null,
        factors: g ? { ...g.factors } : null,
        excluded: g?.excluded ?? decl.stacks[region]?.pools[service]?.excluded ?? [],
        unverified: (g?.unverified ?? []).map((u) => ({
          name: u.node,
          state: u.state,
          since: new Date(u.since).toISOString(),
          until: new Date(u.until).toISOString(),
          leftSeconds: Math.max(0, Math.round((u.until - now) / 1000)),
        })),
        gtmReason: g?.reason ?? null,
        autoscale: a ? { current: a.current, desired: a.desired, cpu: a.cpu, wanted: a.wanted, reason: a.reason, coming: a.coming } : null,
        lastDecision: last ? { at: new Date(last.at).toISOString(), summary: last.summary, why: last.why, commit: last.commit } : null,
        holds: holds
          .filter((h) => h.region === region)
          .map((h) => ({ key: h.key, until: new Date(h.until).toISOString(), commit: h.commit, author: h.author })),
      };
    }
    return {
      service,
      configCommit: this.deps.inForce.snapshot?.commit ?? null,
      alert: plan?.gtm?.alert ?? null,
      frozen: frozenView(this.deps.reconciler?.freezeOf(service)),
      lastPass: report ? { at: new Date(report.at).toISOString(), commit: report.commit, error: report.error } : null,
      regions: out,
    };
  }
}
