// The SQLite schema as an ordered list of numbered steps. A released step is
// never edited: a database that already ran it would not run it again, so a
// change goes into a new step at the end.

import type { Migration } from '../schema-steps.js';

export type { Migration };

/** Every schema step this version knows, in the order they apply. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE config_snapshots (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        commit_sha   TEXT    NOT NULL UNIQUE,
        declarations TEXT    NOT NULL,
        stored_at    INTEGER NOT NULL
      );

      CREATE TABLE sync_records (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        commit_sha TEXT,
        status  TEXT    NOT NULL CHECK (status IN ('ok', 'invalid', 'error')),
        message TEXT    NOT NULL,
        issues  TEXT    NOT NULL
      );
      CREATE INDEX sync_records_at ON sync_records (at, id);

      CREATE TABLE nodes (
        name           TEXT    PRIMARY KEY,
        service        TEXT    NOT NULL,
        region         TEXT    NOT NULL,
        address        TEXT    NOT NULL,
        labels         TEXT    NOT NULL,
        state          TEXT    NOT NULL CHECK (state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        state_since    INTEGER NOT NULL,
        token_hash     TEXT    NOT NULL,
        registered_at  INTEGER NOT NULL,
        last_heartbeat INTEGER,
        metrics        TEXT
      );
      CREATE INDEX nodes_service_region_state ON nodes (service, region, state);
      CREATE INDEX nodes_region_state ON nodes (region, state);
      CREATE INDEX nodes_state ON nodes (state);

      CREATE TABLE node_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         INTEGER NOT NULL,
        node       TEXT    NOT NULL,
        from_state TEXT    CHECK (from_state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        to_state   TEXT    NOT NULL CHECK (to_state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        cause      TEXT    NOT NULL
      );
      CREATE INDEX node_events_node_at ON node_events (node, at, id);
      CREATE INDEX node_events_at ON node_events (at, id);

      CREATE TABLE decisions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         INTEGER NOT NULL,
        controller TEXT    NOT NULL CHECK (controller IN ('gtm', 'autoscale')),
        service    TEXT    NOT NULL,
        region     TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        summary    TEXT    NOT NULL,
        why        TEXT    NOT NULL,
        commit_sha TEXT
      );
      CREATE INDEX decisions_service_region_at ON decisions (service, region, at, id);
      CREATE INDEX decisions_region_at ON decisions (region, at, id);
      CREATE INDEX decisions_at ON decisions (at, id);

      CREATE TABLE override_holds (
        service    TEXT    NOT NULL,
        region     TEXT    NOT NULL,
        key        TEXT    NOT NULL CHECK (key IN ('weight', 'nodes', 'excluded')),
        commit_sha TEXT    NOT NULL,
        author     TEXT    NOT NULL,
        since      INTEGER NOT NULL,
        until      INTEGER NOT NULL,
        PRIMARY KEY (service, region, key)
      );
      CREATE INDEX override_holds_until ON override_holds (until);
    `,
  },
  {
    version: 2,
    name: 'leadership leases',
    sql: `
      CREATE TABLE leases (
        name       TEXT    PRIMARY KEY,
        holder     TEXT    NOT NULL,
        address    TEXT    NOT NULL,
        token      INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'metrics history',
    sql: `
      CREATE TABLE metrics_history (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         INTEGER NOT NULL,
        service    TEXT    NOT NULL,
        region     TEXT    NOT NULL,
        cpu_demand REAL,
        active     INTEGER NOT NULL CHECK (active >= 0),
        warm       INTEGER NOT NULL CHECK (warm >= 0),
        drain      INTEGER NOT NULL CHECK (drain >= 0),
        down       INTEGER NOT NULL CHECK (down >= 0),
        unknown    INTEGER NOT NULL CHECK (unknown >= 0),
        weight     INTEGER,
        qps        REAL,
        error_rate REAL,
        rtt_ms     REAL
      );
      CREATE INDEX metrics_history_at ON metrics_history (at, id);
      CREATE INDEX metrics_history_service_at ON metrics_history (service, at, id);
    `,
  },
];
