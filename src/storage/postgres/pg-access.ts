/**
 * The PostgreSQL counterpart of `SqlAccess`: what handlers use on one checked-out connection.
 * Statements use numbered placeholders built by {@link Params}, so every value is bound
 * (https://www.postgresql.org/docs/15/sql-prepare.html); SQL text only ever holds constants,
 * validated JSON path literals and placeholders.
 */
import type pg from 'pg';

/** A result row, column name → value (already typed by the driver). */
export type PgRow = Record<string, unknown>;

/** Reads and writes on the connection the current batch runs on. */
export interface PgAccess {
  all(sql: string, params?: readonly unknown[]): Promise<PgRow[]>;
  get(sql: string, params?: readonly unknown[]): Promise<PgRow | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

/** What PostgreSQL handlers receive (the `HandlerContext` of this backend). */
export interface PgContext {
  readonly db: PgAccess;
  /** Current time in seconds since the epoch (from the injected clock). */
  readonly now: () => number;
}

/**
 * Collects bound values and hands out their placeholders in order.
 *
 * @example
 * const p = new Params();
 * const sql = `SELECT * FROM profiles WHERE name = ${p.add('alice')}`; // ... name = $1
 * await db.all(sql, p.values);
 */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** `$1, $2, …` for each element (an IN list). */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }
}

/** Wraps a pool client (or the pool itself) as {@link PgAccess}. */
export function pgAccess(client: pg.ClientBase | pg.Pool): PgAccess {
  const query = (sql: string, params: readonly unknown[] = []) =>
    client.query({ text: sql, values: params as unknown[] });
  return {
    all: async (sql, params) => (await query(sql, params)).rows as PgRow[],
    get: async (sql, params) => (await query(sql, params)).rows[0] as PgRow | undefined,
    run: async (sql, params) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}
