// The PowerDnsRecords dynamic provider's work, over the PowerDNS HTTP API
// (powerdns-api.ts): one region's record and the service's answer record
// (their text comes from powerdns-lua.ts), written in one PATCH.
//
// Ownership: xplane owns `<region>._xplane.<domain>` (one per region stack)
// and the LUA records at `<domain>` (shared by the service's region stacks,
// which all write the same text). It refuses to write over address records
// (A, AAAA, CNAME) or LUA records at the domain that it did not make, never
// creates or deletes the zone, and deletes the answer record only with the
// last region record of the domain.
//
// Loaded by program/dns/powerdns-provider.cjs in Pulumi's plugin process
// (through tsx, as the local target's record-file writer is).
import { PowerDnsApi, type PowerDnsZoneApi, type RRset, type RRsetChange } from './powerdns-api.js';
import { REGION_LABEL } from './powerdns-lua.js';

/** One record the resource writes: its owner name and its LUA content. */
export interface OwnedRecord {
  name: string;
  content: string;
}

/** The inputs (and outputs) of a PowerDnsRecords resource. */
export interface PowerDnsRecordsState {
  implementation: string;
  apiUrl: string;
  serverId: string;
  apiKey: string;
  /** Absolute zone name, `svc.plus.`. */
  zone: string;
  ttl: number;
  /** This region's record. */
  region: OwnedRecord;
  /** The service's answer record, at the domain. */
  answer: OwnedRecord;
  /** Every region record of the domain ends with this. */
  regionSuffix: string;
  /** Outputs: the names written. */
  records?: string[];
}

/** The API for a resource's settings; injected in tests. */
export type ApiFor = (state: PowerDnsRecordsState) => PowerDnsZoneApi;

const defaultApi: ApiFor = (state) => new PowerDnsApi({ url: state.apiUrl, serverId: state.serverId, apiKey: state.apiKey });

/** Record types at the domain that would be answered beside xplane's LUA records. */
const ADDRESS_TYPES = new Set(['A', 'AAAA', 'CNAME']);

/** The Pulumi dynamic provider methods, over `apiFor`. */
export function powerDnsRecordsProvider(apiFor: ApiFor = defaultApi) {
  async function write(state: PowerDnsRecordsState): Promise<PowerDnsRecordsState> {
    const api = apiFor(state);
    const rrsets = await api.rrsets(state.zone);
    refuseForeign(rrsets, state);
    if (!(await api.luaRecordsEnabled(state.zone))) {
      throw new Error(
        `PowerDNS at ${state.apiUrl} does not answer LUA records in ${state.zone}: set enable-lua-records=yes in its configuration (or the zone's ENABLE-LUA-RECORDS metadata to 1); xplane's answers are LUA records`,
      );
    }
    await api.patch(state.zone, [replace(state.region, state.ttl), replace(state.answer, state.ttl)]);
    return { ...state, records: [state.region.name, state.answer.name] };
  }

  return {
    async create(inputs: PowerDnsRecordsState): Promise<{ id: string; outs: PowerDnsRecordsState }> {
      return { id: `${inputs.serverId}/${inputs.zone}/${inputs.region.name}`, outs: await write(inputs) };
    },

    async read(id: string, props: PowerDnsRecordsState): Promise<{ id?: string; props?: PowerDnsRecordsState }> {
      const rrsets = await apiFor(props).rrsets(props.zone);
      const region = luaContent(rrsets, props.region.name);
      // Gone: the next `up` writes it again. A hand edit shows as drift and is written over.
      if (region === undefined) return {};
      return {
        id,
        props: { ...props, region: { ...props.region, content: region }, answer: { ...props.answer, content: luaContent(rrsets, props.answer.name) ?? '' } },
      };
    },

    async diff(
      _id: string,
      olds: PowerDnsRecordsState,
      news: PowerDnsRecordsState,
    ): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
      // Another server, zone or owner name is another resource. Delete first: the same records may sit behind
      // two spellings of one server (127.0.0.1 and localhost), and a create first would then lose them.
      const replaces: string[] = (['apiUrl', 'serverId', 'zone'] as const).filter((key) => olds[key] !== news[key]);
      if (olds.region.name !== news.region.name) replaces.push('region');
      if (olds.answer.name !== news.answer.name) replaces.push('answer');
      const changes =
        replaces.length > 0 ||
        olds.ttl !== news.ttl ||
        olds.region.content !== news.region.content ||
        olds.answer.content !== news.answer.content ||
        olds.apiKey !== news.apiKey ||
        olds.implementation !== news.implementation;
      return { changes, replaces, deleteBeforeReplace: true };
    },

    async update(_id: string, _olds: PowerDnsRecordsState, news: PowerDnsRecordsState): Promise<{ outs: PowerDnsRecordsState }> {
      return { outs: await write(news) };
    },

    async delete(_id: string, props: PowerDnsRecordsState): Promise<void> {
      const api = apiFor(props);
      // The region record first, then a look at what is left: of two regions deleted at once, at least one
      // sees the other's record gone and deletes the answer record (deleting an absent RRset is a no-op).
      try {
        await api.patch(props.zone, [remove(props.region.name)]);
      } catch (err) {
        // The zone is gone, and its records with it; anything else (a refused key, no answer) must be fixed first.
        if (err instanceof Error && /^zone .* does not exist/.test(err.message)) return;
        throw err;
      }
      const rrsets = await api.rrsets(props.zone);
      const otherRegions = rrsets.some((r) => r.name.endsWith(props.regionSuffix));
      const answer = luaContent(rrsets, props.answer.name);
      if (!otherRegions && answer !== undefined && isOurs(answer)) await api.patch(props.zone, [remove(props.answer.name)]);
    },
  };
}

function replace(record: OwnedRecord, ttl: number): RRsetChange {
  return { name: record.name, type: 'LUA', ttl, changetype: 'REPLACE', records: [{ content: record.content, disabled: false }] };
}

function remove(name: string): RRsetChange {
  return { name, type: 'LUA', changetype: 'DELETE' };
}

/** The content of the LUA RRset at `name` (its records joined), or undefined when there is none. */
function luaContent(rrsets: RRset[], name: string): string | undefined {
  const rrset = rrsets.find((r) => r.name === name && r.type === 'LUA');
  return rrset?.records.map((r) => r.content).join('\n');
}

/** An answer record xplane wrote includes region records. */
function isOurs(content: string): boolean {
  return content.includes(`.${REGION_LABEL}`);
}

function refuseForeign(rrsets: RRset[], state: PowerDnsRecordsState): void {
  const name = state.answer.name;
  const foreign = rrsets.filter((r) => r.name === name && ADDRESS_TYPES.has(r.type)).map((r) => r.type);
  if (foreign.length > 0) {
    throw new Error(
      `${name} already has ${foreign.join(', ')} records that xplane did not make; xplane answers this name with its own LUA records and owns only those: remove them first (or point gtm domain elsewhere)`,
    );
  }
  const lua = luaContent(rrsets, name);
  if (lua !== undefined && !isOurs(lua)) {
    throw new Error(`${name} already has LUA records that xplane did not make (they include no ${REGION_LABEL} region records): remove them first`);
  }
}
