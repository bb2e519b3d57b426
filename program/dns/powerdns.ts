// PowerDNS: the self-hosted provider. Each region stack writes its region
// record and the service's answer record over the PowerDNS HTTP API
// (components/powerdns-records.ts); PowerDNS answers each query from its own
// LUA health checks and the regions' weights (powerdns-lua.ts). It takes any
// address, loopback ones too (a PowerDNS beside local nodes), and keeps a
// region's record when no node of it is in DNS: the region then adds no
// address. No global part: the answer record includes every region's record.
import type * as pulumi from '@pulumi/pulumi';
import { PowerDnsRecords } from '../components/powerdns-records.js';
import { secretFromEnvironment } from '../settings.js';
import type { DnsCredentials, DnsProvider } from './types.js';

/** The API when xplane:powerdnsApiUrl is not set: PowerDNS's own default webserver address. */
export const DEFAULT_POWERDNS_API_URL = 'http://127.0.0.1:8081';

/** The server id when xplane:powerdnsServerId is not set: the only one PowerDNS has. */
export const DEFAULT_POWERDNS_SERVER_ID = 'localhost';

/** The `powerdns` provider. */
export const powerdns: DnsProvider = {
  name: 'powerdns',
  servesLoopback: true,
  buildsEmpty: true,
  perRegion: 'records',
  region({ service, region, nodes, settings, credentials }) {
    const records = new PowerDnsRecords(`${service.service}-powerdns`, {
      apiUrl: settings.powerdnsApiUrl ?? DEFAULT_POWERDNS_API_URL,
      serverId: settings.powerdnsServerId ?? DEFAULT_POWERDNS_SERVER_ID,
      apiKey: apiKey(service.service, credentials),
      domain: service.domain,
      zone: service.dns.zone,
      region,
      regions: service.gtmRegions,
      ttl: service.dns.ttl,
      health: service.health,
      regionWeight: service.weight,
      nodes,
    });
    return { powerdnsRecords: records.records };
  },
};

/** The API key: XPLANE_POWERDNS_API_KEY(_FILE) at converge time, else the secret xplane:powerdnsApiKey. */
function apiKey(service: string, credentials: DnsCredentials): pulumi.Input<string> {
  const key = secretFromEnvironment('XPLANE_POWERDNS_API_KEY', credentials) ?? credentials.secret('powerdnsApiKey');
  if (key === undefined) {
    throw new Error(
      `${service} uses PowerDNS, whose API needs its key: set XPLANE_POWERDNS_API_KEY (or XPLANE_POWERDNS_API_KEY_FILE) at converge time, or the secret xplane:powerdnsApiKey`,
    );
  }
  return key;
}
