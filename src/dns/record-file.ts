// The record files that connect the `local` DNS provider's Pulumi resources to
// the embedded DNS server: one JSON file per (domain, region stack) at
// `<dir>/<domain>/<region>.json`. Pulumi runs the program in its own process,
// so a file is the whole interface; this module depends only on node
// builtins and zod so a dynamic provider can import it cheaply.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** One A record: a node of the region and its share of the name's weight. */
export interface RecordEntry {
  /** Node name, as the registry knows it (`jp-svc-plus-1`); what `isDown` is asked about. */
  node: string;
  /** IPv4 dotted quad. */
  ip: string;
  /** Route 53 style weight, already split per node; 0 = served only when nothing else can be. */
  weight: number;
}

/** The content of `<dir>/<domain>/<region>.json`. */
export interface RecordFile {
  /** Lowercase, no trailing dot: `api.svc.plus`. Must equal the directory name. */
  domain: string;
  /** The region stack that owns the file; must equal the file name without `.json`. */
  region: string;
  /** Seconds, 0..2147483647 (RFC 2181 §8). */
  ttl: number;
  /** Optional zone the domain lives in (`svc.plus`): names under it that are not served get NXDOMAIN instead of REFUSED. */
  zone?: string;
  /** One per node not excluded; may be empty. */
  records: RecordEntry[];
  /** The SOA serial: Unix time (seconds) of the commit of the stack configuration these records came from. */
  serial?: number;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const dnsName = z.string().regex(DNS_NAME, 'expected a lowercase DNS name like api.svc.plus, no trailing dot');

// z.object (not strict) so a newer writer can add fields without an older
// server dropping the whole file, which would take the name out of DNS.
const recordFileSchema = z
  .object({
    domain: dnsName,
    region: z.string().regex(REGION, 'expected a region name like jp'),
    ttl: z.number().int().min(0).max(2_147_483_647),
    zone: dnsName.optional(),
    serial: z.number().int().min(0).max(4_294_967_295).optional(),
    records: z.array(
      z.object({
        node: z.string().min(1),
        ip: z.string().refine((ip) => isIPv4(ip), 'expected an IPv4 address'),
        // Route 53 uses integers 0..255; fractions are accepted rather than refusing a whole region over rounding.
        weight: z.number().min(0),
      }),
    ),
  })
  .refine((f) => f.zone === undefined || f.domain === f.zone || f.domain.endsWith(`.${f.zone}`), {
    path: ['zone'],
    error: 'expected a zone that contains the domain',
  });

/** Lowercases a name and drops a trailing dot, the form files and lookups use. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Path of the file for (domain, region); throws on names that are not a DNS name and a region name, so no path can leave `dir`. */
export function recordFilePath(dir: string, domain: string, region: string): string {
  const name = normalizeName(domain);
  if (!DNS_NAME.test(name)) throw new Error(`not a DNS name: "${domain}"`);
  if (!REGION.test(region)) throw new Error(`not a region name: "${region}"`);
  return join(dir, name, `${region}.json`);
}

/** Validates parsed JSON as a record file; the error text names the field. */
export function parseRecordFile(value: unknown): { ok: true; file: RecordFile } | { ok: false; error: string } {
  const result = recordFileSchema.safeParse(value);
  if (result.success) return { ok: true, file: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  return { ok: false, error: `${where}${issue?.message ?? 'invalid record file'}` };
}

/** Writes a record file atomically (temp file + rename), so the server never reads half a file; throws on an invalid file. */
export async function writeRecordFile(dir: string, file: RecordFile): Promise<string> {
  const normalized: RecordFile = { ...file, domain: normalizeName(file.domain) };
  if (file.zone !== undefined) normalized.zone = normalizeName(file.zone);
  const parsed = parseRecordFile(normalized);
  if (!parsed.ok) throw new Error(`record file ${normalized.domain}/${file.region}: ${parsed.error}`);
  const target = recordFilePath(dir, parsed.file.domain, parsed.file.region);
  const folder = dirname(target);
  await mkdir(folder, { recursive: true });
  // The temp file starts with a dot so the store never loads it; it sits in
  // the same folder so rename stays on one filesystem and is atomic.
  const temp = join(folder, `.${parsed.file.region}.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(parsed.file, null, 2)}\n`);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return target;
}

/** Removes the file for (domain, region); a file already gone is fine. */
export async function removeRecordFile(dir: string, domain: string, region: string): Promise<void> {
  await rm(recordFilePath(dir, domain, region), { force: true });
}
