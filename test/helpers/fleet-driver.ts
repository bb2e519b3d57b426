// The world a loop test puts a real `xplane serve` in: a machine for every name
// in the remote's stack pools, as a cloud would run one. A name that appears in
// `nodes` boots for `bootMs`, then its agent registers and heartbeats every
// 150 ms; a name that leaves `nodes` stops. Load is a CPU demand per region,
// spread evenly over the nodes the server's registry shows `active` (each
// capped at 1; a node not yet or no longer active takes no traffic and reports
// itself idle), as `xplane simulate` spreads a trace's demand.
import { gitSync } from '../../src/testing/index.js';

/** What a node that takes no traffic reports. */
const IDLE = 0.02;

/** One machine the driver runs. */
interface Machine {
  name: string;
  region: string;
  token: string | null;
  timer: NodeJS.Timeout | null;
  boot: NodeJS.Timeout | null;
}

/** What the driver needs to know of the world. */
export interface FleetDriverOptions {
  /** The bare remote the loop commits to. */
  bare: string;
  /** The running serve's URL. */
  url: string;
  bootstrapToken: string;
  adminToken: string;
  service: string;
  regions: string[];
  /** From a name appearing in `nodes` to its agent registering. */
  bootMs: number;
}

/** Plays the fleet; see the file comment. */
export class FleetDriver {
  /** CPU demand per region, in nodes (1.0 = one node fully busy); change it any time. */
  readonly demand: Record<string, number> = {};
  /** What went wrong starting a machine (a refused registration), for the test to assert empty. */
  readonly errors: string[] = [];
  private readonly machines = new Map<string, Machine>();
  private active = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private hosts = 0;
  private busy = false;

  constructor(private readonly opts: FleetDriverOptions) {
    for (const r of opts.regions) this.demand[r] = 0;
  }

  /** Starts the machines of the names already in the pools at once, then follows the remote's pools and the registry. */
  start(): void {
    for (const region of this.opts.regions) for (const name of this.poolNodes(region)) this.launch(name, region, 0);
    this.poller = setInterval(() => void this.poll(), 150);
  }

  /** Stops every machine. */
  stop(): void {
    if (this.poller) clearInterval(this.poller);
    for (const m of this.machines.values()) this.halt(m);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const wanted = new Set<string>();
      for (const region of this.opts.regions) {
        for (const name of this.poolNodes(region)) {
          wanted.add(name);
          if (!this.machines.has(name)) this.launch(name, region, this.opts.bootMs);
        }
      }
      for (const m of this.machines.values()) if (!wanted.has(m.name)) this.halt(m);
      const res = await fetch(`${this.opts.url}/v1/nodes?service=${this.opts.service}&state=active`, {
        headers: { authorization: `Bearer ${this.opts.adminToken}` },
      }).catch(() => undefined);
      if (res?.status === 200) this.active = new Set(((await res.json()) as { name: string }[]).map((n) => n.name));
    } finally {
      this.busy = false;
    }
  }

  private poolNodes(region: string): string[] {
    let text: string;
    try {
      text = gitSync(this.opts.bare, 'show', `main:stacks/Pulumi.${region}.yaml`);
    } catch {
      return [];
    }
    const m = /nodes: \[([^\]]*)\]/.exec(text);
    return (m?.[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  private launch(name: string, region: string, bootMs: number): void {
    const m: Machine = { name, region, token: null, timer: null, boot: null };
    this.machines.set(name, m);
    this.hosts += 1;
    const address = `127.19.${Math.floor(this.hosts / 250)}.${(this.hosts % 250) + 1}:8080`;
    m.boot = setTimeout(() => void this.register(m, address).catch((err: unknown) => this.errors.push(String(err))), bootMs);
  }

  private async register(m: Machine, address: string): Promise<void> {
    const res = await fetch(`${this.opts.url}/v1/nodes/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.opts.bootstrapToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: this.opts.service, region: m.region, address, name: m.name }),
    });
    if (res.status !== 201) throw new Error(`register ${m.name}: ${res.status} ${await res.text()}`);
    m.token = ((await res.json()) as { token: string }).token;
    const beat = (): void => {
      const active = [...this.active].filter((n) => this.machines.get(n)?.region === m.region).length;
      const cpu = this.active.has(m.name) ? Math.min(1, (this.demand[m.region] ?? 0) / Math.max(1, active)) : IDLE;
      void fetch(`${this.opts.url}/v1/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${m.token ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: m.name, cpu }),
      }).catch(() => undefined);
    };
    beat();
    m.timer = setInterval(beat, 150);
  }

  private halt(m: Machine): void {
    if (m.boot) clearTimeout(m.boot);
    if (m.timer) clearInterval(m.timer);
    m.boot = null;
    m.timer = null;
  }
}
