// local: xplane's embedded DNS server (`xplane serve`, src/dns/) answers from
// a record file per region (components/local-dns-records.ts). The file is
// written even with no node in DNS (an empty region is an answer too), and
// takes any address: loopback ones, or aws public IPs for an embedded DNS
// that fronts cloud nodes.
import { LocalDnsRecords } from '../components/local-dns-records.js';
import type { DnsProvider } from './types.js';

/** The `local` provider. */
export const local: DnsProvider = {
  name: 'local',
  servesLoopback: true,
  buildsEmpty: true,
  perRegion: 'record file',
  region({ service, region, nodes, localStateDir, commitTime }) {
    const file = new LocalDnsRecords(`${service.service}-dns`, {
      domain: service.domain,
      zone: service.dns.zone,
      region,
      ttl: service.dns.ttl,
      regionWeight: service.weight,
      nodes,
      stateDir: localStateDir,
      ...(commitTime === undefined ? {} : { serial: commitTime }),
    });
    return { recordFile: file.path };
  },
};
