// The Postgres schema as an ordered list of numbered steps, with the same
// discipline as SQLite's: a released step is never edited, a change goes into
// a new step at the end. Tables and columns match SQLite's, so both stores
// share one row mapping (../rows.ts). Times are epoch ms in bigint; JSON is
// jsonb except `declarations`, which is json: it keeps the key order of the
// YAML it came from (regions, stacks), which jsonb would sort.
import type { Migration } from '../schema-steps.js';

export type { Migration };

/** Every Postgres schema step this version knows, in the order they apply. */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema with leadership leases',
    sql: `
      CREATE TABLE config_snapshots (
        seq          bigserial PRIMARY KEY,
        commit_sha   text   NOT NULL UNIQUE,
        declarations json   NOT NULL,
        stored_at    bigint NOT NULL
      );

      CREATE TABLE sync_records (
        id         bigserial PRIMARY KEY,
        at         bigint NOT NULL,
        commit_sha text,
        status     text   NOT NULL CHECK (status IN ('ok', 'invalid', 'error')),
        message    text   NOT NULL,
        issues     jsonb  NOT NULL
      );
      CREATE INDEX sync_records_at ON sync_records (at, id);

      CREATE TABLE nodes (
        name           text   PRIMARY KEY,
        service        text   NOT NULL,
        region         text   NOT NULL,
        address        text   NOT NULL,
        labels         jsonb  NOT NULL,
        state          text   NOT NULL CHECK (state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        state_since    bigint NOT NULL,
        token_hash     text   NOT NULL,
        registered_at  bigint NOT NULL,
        last_heartbeat bigint,
        metrics        jsonb
      );
      CREATE INDEX nodes_service_region_state ON nodes (service, region, state);
      CREATE INDEX nodes_region_state ON nodes (region, state);
      CREATE INDEX nodes_state ON nodes (state);

      CREATE TABLE node_events (
        id         bigserial PRIMARY KEY,
        at         bigint NOT NULL,
        node       text   NOT NULL,
        from_state text   CHECK (from_state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        to_state   text   NOT NULL CHECK (to_state IN ('warm', 'active', 'drain', 'deleted', 'down')),
        cause      text   NOT NULL
      );
      CREATE INDEX node_events_node_at ON node_events (node, at, id);
      CREATE INDEX node_events_at ON node_events (at, id);

      CREATE TABLE decisions (
        id         bigserial PRIMARY KEY,
        at         bigint NOT NULL,
        controller text   NOT NULL CHECK (controller IN ('gtm', 'autoscale')),
        service    text   NOT NULL,
        region     text   NOT NULL,
        kind       text   NOT NULL,
        summary    text   NOT NULL,
        why        jsonb  NOT NULL,
        commit_sha text
      );
      CREATE INDEX decisions_service_region_at ON decisions (service, region, at, id);
      CREATE INDEX decisions_region_at ON decisions (region, at, id);
      CREATE INDEX decisions_at ON decisions (at, id);

      CREATE TABLE override_holds (
        service    text   NOT NULL,
        region     text   NOT NULL,
        key        text   NOT NULL CHECK (key IN ('weight', 'nodes', 'excluded')),
        commit_sha text   NOT NULL,
        author     text   NOT NULL,
        since      bigint NOT NULL,
        until      bigint NOT NULL,
        PRIMARY KEY (service, region, key)
      );
      CREATE INDEX override_holds_until ON override_holds (until);

      CREATE TABLE leases (
        name       text   PRIMARY KEY,
        holder     text   NOT NULL,
        address    text   NOT NULL,
        token      bigint NOT NULL,
        expires_at bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'metrics history',
    sql: `
      CREATE TABLE metrics_history (
        id         bigserial PRIMARY KEY,
        at         bigint  NOT NULL,
        service    text    NOT NULL,
        region     text    NOT NULL,
        cpu_demand double precision,
        active     integer NOT NULL CHECK (active >= 0),
        warm       integer NOT NULL CHECK (warm >= 0),
        drain      integer NOT NULL CHECK (drain >= 0),
        down       integer NOT NULL CHECK (down >= 0),
        unknown    integer NOT NULL CHECK (unknown >= 0),
        weight     integer,
        qps        double precision,
        error_rate double precision,
        rtt_ms     double precision
      );
      CREATE INDEX metrics_history_at ON metrics_history (at, id);
      CREATE INDEX metrics_history_service_at ON metrics_history (service, at, id);
    `,
  },
];
