// Loads the record files under one folder and keeps the table current. The
// check is a few stat calls, done on the query path at most once per
// interval: with tens of files that is cheaper than any watcher, works on
// every filesystem (fs.watch misses events on network and overlay mounts),
// and needs no timer to start or stop. Files are re-read only when their
// mtime, size or inode changes; an atomic rename always brings a new inode.
import { errorText } from '../errors.js';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../log/index.js';
import { parseRecordFile, type RecordFile } from './record-file.js';
import { buildTable, type DnsTable, type NameServer } from './table.js';

/** Options of a RecordStore. */
export interface RecordStoreOptions {
  /** The folder holding `<domain>/<region>.json`; it may not exist yet. */
  dir: string;
  log: Logger;
  /** Zones served besides those named by files (config `dns.zone`): unknown names there get NXDOMAIN, not REFUSED. */
  zones?: string[];
  /** The name servers of every zone; default `ns1.<zone>` at `selfAddress`. */
  nameServers?: readonly NameServer[];
  /** The server's own IPv4 address, the default name server's. */
  selfAddress?: string;
  /** Minimum time between two checks of the folder; default 200 ms. */
  reloadIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Where a table comes from; the server depends on this, not on the files. */
export interface RecordSource {
  /** The current table, fresh to within the source's reload interval. */
  table(): DnsTable;
}

/** Default minimum time between two checks of the record folder. */
export const DEFAULT_RELOAD_INTERVAL_MS = 200;

/** Above this a "record file" is not one, and reading it would stall queries. */
const MAX_FILE_BYTES = 1 << 20;

interface Entry {
  /** mtime:size:inode of the version read. */
  version: string;
  /** Its mtime in whole seconds: the serial of a file written before files carried one. */
  mtimeSeconds: number;
  /** undefined when that version is bad (logged once). */
  file: RecordFile | undefined;
}

/** The record files of one folder as a table, reloaded when they change; a bad file is logged and skipped. */
export class RecordStore implements RecordSource {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly tableOptions: { zones: string[]; nameServers?: readonly NameServer[]; selfAddress?: string };
  private readonly interval: number;
  private readonly now: () => number;
  private entries = new Map<string, Entry>();
  private current: DnsTable;
  private lastCheck = Number.NEGATIVE_INFINITY;

  constructor(opts: RecordStoreOptions) {
    this.dir = opts.dir;
    this.log = opts.log;
    this.tableOptions = {
      zones: opts.zones ?? [],
      ...(opts.nameServers === undefined ? {} : { nameServers: opts.nameServers }),
      ...(opts.selfAddress === undefined ? {} : { selfAddress: opts.selfAddress }),
    };
    this.interval = opts.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
    this.current = buildTable([], this.tableOptions);
  }

  /** The current table, checking the folder first when the last check is older than the interval. */
  table(): DnsTable {
    if (this.now() - this.lastCheck >= this.interval) this.reload();
    return this.current;
  }

  /** Checks the folder now and returns the (possibly new) table. */
  reload(): DnsTable {
    this.lastCheck = this.now();
    const next = new Map<string, Entry>();
    let changed = false;
    for (const path of this.listFiles()) {
      const entry = this.readIfChanged(path);
      if (entry === undefined) continue;
      if (this.entries.get(path) !== entry) changed = true;
      next.set(path, entry);
    }
    if (next.size !== this.entries.size) changed = true;
    this.entries = next;
    if (changed) {
      const valid = [...next.values()].filter((e) => e.file !== undefined);
      const files = valid.flatMap((e) => (e.file === undefined ? [] : [e.file]));
      const fallbackSerial = Math.max(1, ...valid.map((e) => e.mtimeSeconds));
      this.current = buildTable(files, { ...this.tableOptions, fallbackSerial });
      this.log.debug({ dir: this.dir, files: files.length, names: this.current.names.size }, 'dns records loaded');
    }
    return this.current;
  }

  /** The valid files loaded at the last check, for status and debugging. */
  files(): RecordFile[] {
    return [...this.entries.values()].flatMap((e) => (e.file === undefined ? [] : [e.file]));
  }

  private listFiles(): string[] {
    const out: string[] = [];
    for (const domain of this.readDir(this.dir)) {
      // Dot names are temp files of writeRecordFile or editor droppings.
      if (domain.startsWith('.')) continue;
      const folder = join(this.dir, domain);
      if (!this.isDirectory(folder)) continue;
      for (const name of this.readDir(folder)) {
        if (!name.startsWith('.') && name.endsWith('.json')) out.push(join(folder, name));
      }
    }
    return out.sort();
  }

  private readDir(path: string): string[] {
    try {
      return readdirSync(path);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.log.warn({ err, path }, 'dns record folder unreadable');
      return [];
    }
  }

  private isDirectory(path: string): boolean {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  /** The entry for `path`: the cached one when unchanged, undefined when the file vanished meanwhile. */
  private readIfChanged(path: string): Entry | undefined {
    let version: string;
    let size: number;
    let mtimeSeconds: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) return undefined;
      version = `${st.mtimeMs}:${st.size}:${st.ino}`;
      size = st.size;
      mtimeSeconds = Math.floor(st.mtimeMs / 1000);
    } catch {
      return undefined;
    }
    const cached = this.entries.get(path);
    if (cached !== undefined && cached.version === version) return cached;
    const result = size > MAX_FILE_BYTES ? { ok: false as const, error: `larger than ${MAX_FILE_BYTES} bytes` } : this.parse(path);
    if (!result.ok) {
      this.log.warn({ path, error: result.error }, 'dns record file skipped');
      return { version, mtimeSeconds, file: undefined };
    }
    return { version, mtimeSeconds, file: result.file };
  }

  private parse(path: string): { ok: true; file: RecordFile } | { ok: false; error: string } {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      return { ok: false, error: errorText(err) };
    }
    const parsed = parseRecordFile(value);
    if (!parsed.ok) return parsed;
    // The path is what writers and removeRecordFile address, so a file whose
    // content disagrees with it would be a record nobody can replace.
    const domain = basename(join(path, '..'));
    const region = basename(path, '.json');
    if (parsed.file.domain !== domain) return { ok: false, error: `domain "${parsed.file.domain}" does not match its folder "${domain}"` };
    if (parsed.file.region !== region) return { ok: false, error: `region "${parsed.file.region}" does not match its file name "${region}.json"` };
    return parsed;
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
