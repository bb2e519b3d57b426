// A small client of the PowerDNS Authoritative HTTP API (/api/v1): read a
// zone, change RRsets, read the server's settings. Every failure becomes an
// Error whose message names the setting to fix: the API URL
// (xplane:powerdnsApiUrl) when it does not answer, the key when it is refused,
// the server id or the gtm `dns.zone` when PowerDNS does not know them.

/** One RRset as the API returns it. */
export interface RRset {
  name: string;
  type: string;
  ttl?: number;
  records: { content: string; disabled?: boolean }[];
}

/** One RRset change of a PATCH. */
export type RRsetChange =
  | { name: string; type: string; ttl: number; changetype: 'REPLACE'; records: { content: string; disabled: boolean }[] }
  | { name: string; type: string; changetype: 'DELETE' };

/** Where the API is and how to talk to it. */
export interface PowerDnsApiOptions {
  /** Base URL, e.g. http://127.0.0.1:8081 (xplane:powerdnsApiUrl). */
  url: string;
  /** The server id in the URL path, normally `localhost` (xplane:powerdnsServerId). */
  serverId: string;
  apiKey: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
}

/** Where the API key comes from, for the message of a refused key. */
const KEY_SETTING = 'XPLANE_POWERDNS_API_KEY (or XPLANE_POWERDNS_API_KEY_FILE) at converge time, or the secret xplane:powerdnsApiKey';

/** What the records provider needs of the API; the in-memory fake of the tests has the same face. */
export interface PowerDnsZoneApi {
  rrsets(zone: string): Promise<RRset[]>;
  patch(zone: string, rrsets: RRsetChange[]): Promise<void>;
  luaRecordsEnabled(zone: string): Promise<boolean>;
}

/** The PowerDNS HTTP API of one server. */
export class PowerDnsApi implements PowerDnsZoneApi {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PowerDnsApiOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
  }

  /** The zone's RRsets; throws a message naming the zone or the server id when PowerDNS has no such zone. */
  async rrsets(zone: string): Promise<RRset[]> {
    const res = await this.request('GET', this.zonePath(zone));
    if (res.status === 404 || res.status === 422) throw await this.missingZone(zone, res);
    const body = (await this.json(res, 'GET', this.zonePath(zone))) as { rrsets?: unknown };
    if (!Array.isArray(body.rrsets)) throw new Error(`PowerDNS at ${this.base} answered GET ${this.zonePath(zone)} without rrsets`);
    return body.rrsets as RRset[];
  }

  /**
   * Applies RRset changes in one transaction (PowerDNS answers 204). A 500 is
   * tried again a few times: PowerDNS on its SQLite backend answers 500 when
   * another writer holds the database (two region stacks converging at once),
   * and REPLACE and DELETE give the same zone however often they are applied.
   */
  async patch(zone: string, rrsets: RRsetChange[]): Promise<void> {
    const path = this.zonePath(zone);
    for (let attempt = 1; ; attempt++) {
      const res = await this.request('PATCH', path, { rrsets });
      if (res.status === 404) throw await this.missingZone(zone, res);
      if (res.status === 204 || res.status === 200) return;
      if (res.status !== 500 || attempt >= PATCH_ATTEMPTS) throw await this.failure(res, 'PATCH', path);
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, PATCH_RETRY_MS * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }

  /** Whether LUA records are answered in `zone`: the server's enable-lua-records, or the zone's ENABLE-LUA-RECORDS metadata. */
  async luaRecordsEnabled(zone: string): Promise<boolean> {
    const path = `/api/v1/servers/${encodeURIComponent(this.options.serverId)}/config`;
    const settings = (await this.json(await this.request('GET', path), 'GET', path)) as { name?: string; value?: string }[];
    if (settings.find((s) => s.name === 'enable-lua-records')?.value === 'yes') return true;
    const meta = `${this.zonePath(zone)}/metadata/ENABLE-LUA-RECORDS`;
    const res = await this.request('GET', meta);
    if (res.status !== 200) return false;
    const body = (await res.json()) as { metadata?: string[] };
    return body.metadata?.includes('1') ?? false;
  }

  private zonePath(zone: string): string {
    return `/api/v1/servers/${encodeURIComponent(this.options.serverId)}/zones/${encodeURIComponent(zone)}`;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: { 'X-API-Key': this.options.apiKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new Error(`cannot reach the PowerDNS API at ${this.base} (xplane:powerdnsApiUrl): ${causeText(err)}`, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      throw new Error(`PowerDNS at ${this.base} refused the API key (${res.status} ${res.statusText}): set the key of its api-key setting in ${KEY_SETTING}`);
    }
    return res;
  }

  private async json(res: Response, method: string, path: string): Promise<unknown> {
    if (res.status !== 200) throw await this.failure(res, method, path);
    try {
      return await res.json();
    } catch (err) {
      throw new Error(`PowerDNS at ${this.base} answered ${method} ${path} with something that is not JSON (is xplane:powerdnsApiUrl its API?)`, {
        cause: err,
      });
    }
  }

  private async missingZone(zone: string, res: Response): Promise<Error> {
    const server = `/api/v1/servers/${encodeURIComponent(this.options.serverId)}`;
    const probe = await this.request('GET', server);
    if (probe.status === 404)
      return new Error(`PowerDNS at ${this.base} has no server "${this.options.serverId}" (xplane:powerdnsServerId; it is normally localhost)`);
    return new Error(
      `zone ${zone} does not exist on PowerDNS at ${this.base} (${res.status}${await errorSuffix(res)}): create it first (gtm dns.zone; e.g. pdnsutil create-zone ${zone.replace(/\.$/, '')}); xplane owns only its records and never creates zones`,
    );
  }

  private async failure(res: Response, method: string, path: string): Promise<Error> {
    return new Error(`PowerDNS at ${this.base} refused ${method} ${path}: ${res.status} ${res.statusText}${await errorSuffix(res)}`);
  }
}

/** `: <error>` from PowerDNS's JSON error body, when it has one. */
async function errorSuffix(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return `: ${body.error}`;
  } catch {
    // not JSON: PowerDNS answers "Not Found" as plain text
  }
  return text.trim() === '' ? '' : `: ${text.trim().slice(0, 300)}`;
}

/** How often a PATCH answered 500 is sent, and the first pause between two (doubling, jittered). */
const PATCH_ATTEMPTS = 5;
const PATCH_RETRY_MS = 100;

/** The reason under fetch's "fetch failed": ECONNREFUSED, ENOTFOUND, a timeout. */
function causeText(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? `${cause.code} (${cause.message})` : cause.message;
  return err instanceof Error ? err.message : String(err);
}
