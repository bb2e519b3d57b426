// Route 53: one weighted A record per node in DNS, each with a Route 53
// health check built from the gtm `health` block (components/route53-records.ts).
// Each region's records stand alone, so there is no global part.
import { Route53Records } from '../components/route53-records.js';
import type { DnsProvider } from './types.js';

/** The `route53` provider. */
export const route53: DnsProvider = {
  name: 'route53',
  servesLoopback: false,
  buildsEmpty: false,
  perRegion: 'records',
  region({ service, region, nodes }) {
    if (nodes.length === 0) return {};
    const records = new Route53Records(service.service, {
      service: service.service,
      region,
      domain: service.domain,
      dns: service.dns,
      health: service.health,
      regionWeight: service.weight,
      nodes,
    });
    return { records: records.recordIds, healthChecks: records.healthCheckIds, recordWeight: records.recordWeight };
  },
};
