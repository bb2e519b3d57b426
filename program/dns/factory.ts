// The DNS provider of a gtm `dns.provider` name, like external-dns's
// provider/factory: one table, and a loud failure for a name it does not know
// (the config schema refuses those first; this guards a caller that skipped it).
import { DNS_PROVIDERS, type DnsProviderName } from '../../src/config/index.js';
import { alidns } from './alidns.js';
import { cloudflare } from './cloudflare.js';
import { local } from './local.js';
import { powerdns } from './powerdns.js';
import { route53 } from './route53.js';
import type { DnsProvider } from './types.js';

// Typed by every name the config allows: a name without a provider does not compile.
const PROVIDERS: Record<DnsProviderName, DnsProvider> = { route53, cloudflare, powerdns, alidns, local };

/** The provider named `name`; throws naming the known ones when there is none. */
export function dnsProvider(name: string): DnsProvider {
  const provider = Object.hasOwn(PROVIDERS, name) ? PROVIDERS[name as DnsProviderName] : undefined;
  if (provider === undefined) throw new Error(`unknown DNS provider "${name}" (gtm dns.provider): expected one of ${DNS_PROVIDERS.join(', ')}`);
  return provider;
}
