/**
 * Opens a sql.js database that lives only in SQLite's page cache (`:memory:`), not in a file
 * of sql.js's emulated file system. A file-backed sql.js database copies every dirty page into
 * the emulated file at each commit, and the file's buffer is reallocated and copied whole as it
 * grows; a memory database does neither. Durability never came from that file: it comes from
 * the redo journal and the snapshots, and `export()` (SQLite's backup API) works the same.
 *
 * sql.js names its file itself, so the memory database is opened by running sql.js's own
 * `Database` constructor on an object whose `filename` reads `:memory:` (SQLite's reserved name
 * for a private in-memory database, https://sqlite.org/inmemorydb.html). If a future sql.js
 * cannot be opened that way, the caller falls back to the file-backed database.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import type { PagedImage } from './snapshot-source.js';

const SQLITE_OK = 0;
const SQLITE_DONE = 101;

/** The C functions of SQLite's online backup API (https://sqlite.org/backup.html). */
interface BackupApi {
  init(dest: number, destName: string, source: number, sourceName: string): number;
  step(backup: number, pages: number): number;
  finish(backup: number): number;
  errmsg(db: number): string;
}

function backupApi(sql: SqlJsStatic): BackupApi {
  const cwrap = (sql as unknown as { cwrap: (...a: unknown[]) => (...a: unknown[]) => unknown })
    .cwrap;
  const init = cwrap('sqlite3_backup_init', 'number', ['number', 'string', 'number', 'string']);
  const step = cwrap('sqlite3_backup_step', 'number', ['number', 'number']);
  const finish = cwrap('sqlite3_backup_finish', 'number', ['number']);
  const errmsg = cwrap('sqlite3_errmsg', 'string', ['number']);
  return {
    init: (d, dn, s, sn) => init(d, dn, s, sn) as number,
    step: (b, p) => step(b, p) as number,
    finish: (b) => finish(b) as number,
    errmsg: (db) => errmsg(db) as string,
  };
}

/** The connection handle sql.js keeps on its `Database` (a pointer into wasm memory). */
function handleOf(db: Database): number | undefined {
  const handle = (db as unknown as { db?: unknown }).db;
  return typeof handle === 'number' && handle !== 0 ? handle : undefined;
}

/** An empty `:memory:` database, or undefined when this sql.js cannot open one. */
function openEmptyMemoryDatabase(sql: SqlJsStatic): Database | undefined {
  try {
    const db = Object.create(sql.Database.prototype, {
      // Reads `:memory:` whatever the constructor assigns.
      filename: { get: () => ':memory:', set: () => undefined, configurable: true },
    }) as Database;
    (sql.Database as unknown as (this: Database) => void).call(db);
    return handleOf(db) === undefined ? undefined : db;
  } catch {
    return undefined;
  }
}

/** Copies every page of `source` into `dest` (both open, `dest` not in a transaction). */
function copyPages(api: BackupApi, dest: number, source: number): void {
  const backup = api.init(dest, 'main', source, 'main');
  if (backup === 0) throw new Error(`cannot load the database image: ${api.errmsg(dest)}`);
  const stepped = api.step(backup, -1);
  const finished = api.finish(backup);
  if (stepped !== SQLITE_DONE || finished !== SQLITE_OK) {
    throw new Error(`cannot load the database image: ${api.errmsg(dest)}`);
  }
}

/**
 * The same bytes as a Node `Buffer`, without copying them. sql.js puts the image into its
 * emulated file with `image.slice()`, which copies a `Uint8Array` (hundreds of MB for a large
 * store) but returns a view of a `Buffer`. The emulated file then reads the caller's bytes:
 * safe here, since that file is only read (by the backup below) and closed right after.
 */
function sharedView(image: Uint8Array): Uint8Array {
  return Buffer.from(image.buffer, image.byteOffset, image.byteLength);
}

/**
 * Opens `image` (or an empty database) in memory. Returns undefined when this sql.js build
 * does not allow it; the caller then uses an ordinary (file-backed) sql.js database.
 *
 * A {@link PagedImage} becomes the emulated file's content as it is (sql.js keeps what the
 * image's `slice` returns and reads it with `subarray`): the backup then reads the snapshot
 * file window by window instead of from a copy of it in memory.
 */
export function openMemoryDatabase(
  sql: SqlJsStatic,
  image?: Uint8Array | PagedImage,
): Database | undefined {
  const memory = openEmptyMemoryDatabase(sql);
  if (memory === undefined || image === undefined) return memory;
  const content = image instanceof Uint8Array ? sharedView(image) : image;
  const file = new sql.Database(content as unknown as Uint8Array);
  try {
    copyPages(backupApi(sql), handleOf(memory) as number, handleOf(file) as number);
    return memory;
  } catch (error) {
    closeMemoryDatabase(memory);
    throw error;
  } finally {
    file.close();
  }
}

/**
 * Closes a database opened by {@link openMemoryDatabase}. sql.js's `close` finalises the
 * statements and closes the connection, then unlinks its file; a memory database has none,
 * so that last step's "no such file" is expected and ignored.
 */
export function closeMemoryDatabase(db: Database): void {
  try {
    db.close();
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'ErrnoError') throw error;
  }
}
