/**
 * A thin wrapper over one sql.js `Database`: cached prepared statements, always-bound
 * parameters, the custom SQL functions the schema relies on (`bm25`, `xml_text`) and a
 * recorder of write statements, which become the batch's journal record (deterministic redo).
 * Nothing outside `src/storage` sees this type.
 */
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { bm25 } from './bm25.js';
import type { RecordedStatement, SqlValue } from './journal.js';
import { closeMemoryDatabase, openMemoryDatabase } from './memory-database.js';
import type { PagedImage } from './snapshot-source.js';
import { xmlText } from './xml-text.js';

/** A result row, column name → value. */
export type SqlRow = Record<string, SqlValue>;

/** What handlers and migrations use: reads, recorded writes, and raw DDL for migrations. */
export interface SqlAccess {
  all(sql: string, params?: readonly SqlValue[]): SqlRow[];
  get(sql: string, params?: readonly SqlValue[]): SqlRow | undefined;
  /** Runs one write statement with bound values and records it for the journal. */
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
}

/** Loads the sql.js WebAssembly module. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  return initSqlJs();
}

interface Prepared {
  readonly statement: Statement;
  /** Parameter positions written as `CAST(? AS TEXT)`: long strings go there as UTF-8 bytes. */
  readonly textSlots: readonly number[];
}

/** Strings at least this long are bound as bytes where the statement allows it. */
const BYTES_THRESHOLD = 256;

function findTextSlots(sql: string): number[] {
  const slots: number[] = [];
  let index = 0;
  for (const match of sql.matchAll(/CAST\(\?\s+AS\s+TEXT\)|\?/gi)) {
    if (match[0] !== '?') slots.push(index);
    index++;
  }
  return slots;
}

export class SqlDatabase implements SqlAccess {
  readonly #db: Database;
  readonly #statements = new Map<string, Prepared>();
  readonly #encoder = new TextEncoder();
  #recording: RecordedStatement[] | undefined;
  /** True when the database lives only in SQLite's page cache (see memory-database.ts). */
  readonly inMemory: boolean;

  /**
   * `inFile: true` keeps the database in a file of sql.js's emulated file system, as earlier
   * versions did (the storage benchmark's baseline); by default it lives in memory.
   */
  constructor(
    sql: SqlJsStatic,
    image?: Uint8Array | PagedImage,
    options: { inFile?: boolean } = {},
  ) {
    const memory = options.inFile ? undefined : openMemoryDatabase(sql, image);
    this.inMemory = memory !== undefined;
    if (memory !== undefined) this.#db = memory;
    else if (image === undefined) this.#db = new sql.Database();
    else if (image instanceof Uint8Array) this.#db = new sql.Database(image);
    // A file-backed database owns its image: a paged one is read whole into memory first.
    else this.#db = new sql.Database(image.subarray(0, image.length).slice());
    // sql.js registers a function with `fn.length` arguments: bm25 takes exactly one.
    this.#db.create_function('bm25', (info: unknown) =>
      info instanceof Uint8Array ? bm25(info) : 0,
    );
    this.#db.create_function('xml_text', (xml: unknown) =>
      xmlText(typeof xml === 'string' ? xml : null),
    );
    // Durability comes from our journal, not from SQLite: keep SQLite's rollback journal in
    // memory (ROLLBACK and savepoints still work) and skip syncs. For the file-backed fallback,
    // also hold the lock so the page cache survives between transactions.
    this.#db.exec(
      'PRAGMA foreign_keys = ON; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768',
    );
  }

  #prepare(sql: string): Statement {
    return this.#prepared(sql).statement;
  }

  #prepared(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (prepared === undefined) {
      prepared = { statement: this.#db.prepare(sql), textSlots: findTextSlots(sql) };
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }

  /**
   * Binds values. sql.js copies strings into wasm memory one character at a time in JS, so
   * long strings placed in `CAST(? AS TEXT)` are bound as UTF-8 bytes (a native copy) and
   * turned back into TEXT by SQLite, byte for byte.
   */
  #bind(prepared: Prepared, params: readonly SqlValue[]): void {
    if (prepared.textSlots.length === 0) {
      prepared.statement.bind(params as SqlValue[]);
      return;
    }
    const values: (SqlValue | Uint8Array)[] = [...params];
    for (const slot of prepared.textSlots) {
      const value = values[slot];
      if (typeof value === 'string' && value.length >= BYTES_THRESHOLD) {
        values[slot] = this.#encoder.encode(value);
      }
    }
    prepared.statement.bind(values as SqlValue[]);
  }

  all(sql: string, params: readonly SqlValue[] = []): SqlRow[] {
    const prepared = this.#prepared(sql);
    const statement = prepared.statement;
    try {
      this.#bind(prepared, params);
      const rows: SqlRow[] = [];
      while (statement.step()) rows.push(statement.getAsObject() as SqlRow);
      return rows;
    } finally {
      statement.reset();
    }
  }

  get(sql: string, params: readonly SqlValue[] = []): SqlRow | undefined {
    return this.all(sql, params)[0];
  }

  run(sql: string, params: readonly SqlValue[] = []): { changes: number } {
    const prepared = this.#prepared(sql);
    const statement = prepared.statement;
    try {
      this.#bind(prepared, params);
      statement.step();
    } finally {
      statement.reset();
    }
    this.#recording?.push([sql, [...params]]);
    return { changes: this.#db.getRowsModified() };
  }

  /** Runs one cached statement without recording it (transaction control, savepoints). */
  control(sql: string): void {
    const statement = this.#prepare(sql);
    try {
      statement.step();
    } finally {
      statement.reset();
    }
  }

  /** Runs SQL text without parameters (DDL, multi-statement scripts). Not recorded. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Starts collecting `run` statements; returns the collector. */
  startRecording(): RecordedStatement[] {
    this.#recording = [];
    return this.#recording;
  }

  stopRecording(): void {
    this.#recording = undefined;
  }

  /** Re-applies recorded statements (journal replay). */
  replay(statements: readonly RecordedStatement[]): void {
    for (const [sql, params] of statements) this.run(sql, params);
  }

  /** Serialises the whole database (sql.js `export`); must run outside a transaction. */
  export(): Uint8Array {
    return this.#db.export();
  }

  close(): void {
    for (const { statement } of this.#statements.values()) statement.free();
    this.#statements.clear();
    if (this.inMemory) closeMemoryDatabase(this.#db);
    else this.#db.close();
  }
}
