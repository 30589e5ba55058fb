/**
 * One batch's connection, with transaction-control statements coalesced: `BEGIN`, `SAVEPOINT`,
 * `RELEASE` and `COMMIT` carry no parameters, so a deferred one travels in the same
 * simple-protocol message as the next control statement ("RELEASE SAVEPOINT r; COMMIT"),
 * saving a round trip each; before any data statement the deferred ones are sent first, so
 * the server always sees the same sequence as without coalescing.
 * See https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
 */
import type pg from 'pg';
import { type PgAccess, pgAccess } from './pg-access.js';

export class BatchSession {
  readonly #client: pg.ClientBase;
  readonly #pending: string[] = [];
  /** Data statements, run after the deferred control statements. */
  readonly db: PgAccess;

  constructor(client: pg.ClientBase) {
    this.#client = client;
    const base = pgAccess(client);
    this.db = {
      all: async (sql, params) => {
        await this.flush();
        return base.all(sql, params);
      },
      get: async (sql, params) => {
        await this.flush();
        return base.get(sql, params);
      },
      run: async (sql, params) => {
        await this.flush();
        return base.run(sql, params);
      },
    };
  }

  /** Queues a control statement for the next round trip. */
  defer(sql: string): void {
    this.#pending.push(sql);
  }

  /** Runs the deferred control statements and `sql` (if any) in one round trip. */
  async control(sql?: string): Promise<void> {
    if (sql !== undefined) this.#pending.push(sql);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('; ');
    this.#pending.length = 0;
    await this.#client.query(text);
  }
}
