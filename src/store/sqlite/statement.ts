// node:sqlite types every statement as binding any values and answering
// loosely typed rows; the store states once, where it prepares a statement,
// what that statement binds and answers.
import type { DatabaseSync, StatementResultingChanges } from 'node:sqlite';

/** A prepared statement typed by the parameters it binds and the rows it answers. */
export interface Statement<Params extends unknown[] = [], Row = unknown> {
  /** Runs the statement and answers how many rows it changed. */
  run(...params: Params): StatementResultingChanges;
  /** The first row, or undefined when there is none. */
  get(...params: Params): Row | undefined;
  /** Every row. */
  all(...params: Params): Row[];
}

/**
 * Prepares `sql` on `db`. The types are the caller's word: node:sqlite checks neither. Rows come
 * back as objects without a prototype, and named parameters bind from an object's keys without
 * their `@` (node:sqlite's allowBareNamedParameters, on by default).
 */
export function prepare<Params extends unknown[] = [], Row = unknown>(db: DatabaseSync, sql: string): Statement<Params, Row> {
  return db.prepare(sql) as unknown as Statement<Params, Row>;
}
