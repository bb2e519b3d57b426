// The global stack (`xplane:role: global`): what a DNS provider must build
// while seeing every region at once — Cloudflare's load balancers, AliDNS's
// GTM — from the region stacks' outputs, read through StackReferences named
// `<xplane:stackOrganization>/<project>/<region>` (`organization/xplane/jp`
// with the file backend). Each provider's part is its `global` (dns/); this
// file groups the services by provider and shares one reference per region.
// Route 53, PowerDNS and local need no global stack: each region's part of
// their answers stands alone.
//
// Converge the region stacks first: a region stack that does not exist yet
// fails the global stack with a message naming it.
import { errorText } from '../src/errors.js';
import * as pulumi from '@pulumi/pulumi';
import type { Declarations } from '../src/config/index.js';
import { dnsProvider, type RegionReader } from './dns/index.js';
import type { StackSettings } from './settings.js';

/** What the global stack is built from. */
export interface GlobalStackArgs {
  declarations: Pick<Declarations, 'gtm' | 'regions'>;
  settings: StackSettings;
  /** The Pulumi project name, for the region stacks' names. */
  project: string;
}

/** Declares each provider's global part from the region stacks' outputs; returns their outputs side by side. */
export async function globalStack(args: GlobalStackArgs): Promise<Record<string, unknown>> {
  const services = Object.values(args.declarations.gtm).sort((a, b) => (a.service < b.service ? -1 : 1));
  const readRegion = regionReader(args);
  const outputs: Record<string, unknown> = {};
  const providers = [...new Set(services.map((gtm) => gtm.dns.provider))].map(dnsProvider).filter((p) => p.global !== undefined);
  if (providers.length === 0)
    void pulumi.log.info('no service uses a DNS provider with a global part (cloudflare, alidns): the global stack has nothing to build');
  for (const provider of providers) {
    const mine = services.filter((gtm) => gtm.dns.provider === provider.name);
    Object.assign(outputs, await provider.global?.({ services: mine, declarations: args.declarations, settings: args.settings, readRegion }));
  }
  return outputs;
}

// One StackReference per region, shared by every service that reads it.
function regionReader(args: GlobalStackArgs): RegionReader {
  const cache = new Map<string, Promise<unknown>>();
  return (region) => {
    let services = cache.get(region);
    if (!services) {
      const name = `${args.settings.stackOrganization}/${args.project}/${region}`;
      const ref = new pulumi.StackReference(name);
      services = ref.getOutputDetails('services').then(
        (details): unknown => details.value ?? details.secretValue,
        (err: unknown) => {
          throw new Error(`cannot read stack ${name} (converge the region stacks before the global one): ${errorText(err)}`);
        },
      );
      cache.set(region, services);
    }
    return services;
  };
}
