/**
 * `aviary db copy`: moves an sql.js data folder into an EMPTY PostgreSQL database — profiles,
 * components (encrypted secrets as stored), parameters, private values, history with bodies,
 * subjects and threads, the pubsub cache with its registered list and indexed paths. Rows go
 * in batches as multi-row inserts, all in ONE transaction: a failure leaves the target empty,
 * so the copy can simply be run again. Row counts are compared before COMMIT.
 */
import pg from 'pg';
import { systemClock } from '../../actors/clock.js';
import { AviaryError } from '../../errors.js';
import { nodeFsOps } from '../fs-ops.js';
import { loadMigrations } from '../migrator.js';
import { recover } from '../recover.js';
import { parsePathText } from '../search-path.js';
import { loadSqlJs, type SqlDatabase } from '../sql-database.js';
import { silentLog } from '../storage-log.js';
import { xmlText } from '../xml-text.js';
import { listIndexDdl, pathIndexDdl } from './pg-json-path.js';
import { pgAppliedVersions, pgMigrateTo } from './pg-migrator.js';
import { redactUrl } from './pg-url.js';

type Convert = (value: unknown, row: Record<string, unknown>) => unknown;
interface Column {
  readonly name: string;
  readonly type: string;
  /** SQL applied to the unnested value (`jsonb` casts, `tsvector` of computed text). */
  readonly select?: string;
  readonly convert?: Convert;
}
interface TableSpec {
  readonly table: string;
  readonly columns: readonly Column[];
  /** Identity column whose sequence moves past the copied ids. */
  readonly identity?: string;
}

const bool: Convert = (v) => v === 1 || v === true;
const text = (name: string): Column => ({ name, type: 'text' });
const real = (name: string): Column => ({ name, type: 'float8' });
const int = (name: string): Column => ({ name, type: 'int8' });
const flag = (name: string): Column => ({ name, type: 'boolean', convert: bool });
const json = (name: string): Column => ({ name, type: 'text', select: `${name}::jsonb` });

/** Tables in foreign-key order; columns as on both sides. */
export const COPIED_TABLES: readonly TableSpec[] = [
  {
    table: 'profiles',
    identity: 'id',
    columns: [
      int('id'),
      text('name'),
      text('jid'),
      text('password_ciphertext'),
      text('server_host'),
      int('server_port'),
      text('tls_policy'),
      flag('autoconnect'),
      real('created'),
    ],
  },
  {
    table: 'components',
    columns: [
      int('profile_id'),
      text('entry_point'),
      text('secret_ciphertext'),
      flag('send_history'),
      flag('receive_history'),
    ],
  },
  { table: 'param_gen', columns: [text('category'), text('name'), text('value')] },
  {
    table: 'param_ind',
    columns: [text('category'), text('name'), int('profile_id'), text('value')],
  },
  { table: 'private_gen', columns: [text('namespace'), text('key'), json('value')] },
  {
    table: 'private_ind',
    columns: [text('namespace'), text('key'), int('profile_id'), json('value')],
  },
  {
    // Copied in rowid order, so `seq` keeps the insertion order of ties.
    table: 'history',
    columns: [
      text('uid'),
      text('stanza_id'),
      text('origin_id'),
      int('profile_id'),
      text('source'),
      text('source_res'),
      text('dest'),
      text('dest_res'),
      real('timestamp'),
      real('received_timestamp'),
      text('type'),
      json('extra'),
      real('delivered'),
    ],
  },
  {
    table: 'message',
    identity: 'id',
    columns: [int('id'), text('history_uid'), text('message'), text('language')],
  },
  {
    table: 'subject',
    identity: 'id',
    columns: [int('id'), text('history_uid'), text('subject'), text('language')],
  },
  {
    table: 'thread',
    identity: 'id',
    columns: [int('id'), text('history_uid'), text('thread_id'), text('parent_id')],
  },
  {
    table: 'pubsub_nodes',
    identity: 'id',
    columns: [
      int('id'),
      int('profile_id'),
      text('service'),
      text('name'),
      flag('subscribed'),
      text('analyser'),
      text('type'),
      text('subtype'),
      text('sync_state'),
      real('sync_state_updated'),
      json('extra'),
    ],
  },
  {
    table: 'pubsub_items',
    identity: 'id',
    columns: [
      int('id'),
      int('node_id'),
      text('name'),
      text('data'),
      real('created'),
      real('updated'),
      json('parsed'),
      {
        name: 'text_tsv',
        type: 'text',
        select: "to_tsvector('simple', text_tsv)",
        convert: (_v, row) => xmlText(typeof row.data === 'string' ? row.data : null),
      },
    ],
  },
  {
    table: 'pubsub_subs',
    identity: 'id',
    columns: [int('id'), int('node_id'), text('subscriber'), text('state')],
  },
];

export interface CopyProgress {
  readonly table: string;
  /** Rows copied so far, all tables. */
  readonly copied: number;
  readonly total: number;
}

export interface CopyReport {
  readonly target: string;
  readonly tables: readonly { table: string; rows: number }[];
  readonly listPaths: readonly string[];
  readonly indexedPaths: readonly string[];
}

function sourceColumn(c: Column): string {
  return c.name === 'text_tsv' ? 'NULL AS text_tsv' : c.name;
}

async function copyTable(
  source: SqlDatabase,
  client: pg.ClientBase,
  spec: TableSpec,
  batchSize: number,
  progress: (rows: number) => void,
): Promise<void> {
  const columns = spec.columns;
  const select = `SELECT rowid AS _rowid, ${columns.map(sourceColumn).join(', ')} FROM ${spec.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`;
  const names = columns.map((c) => c.name);
  const insert = `INSERT INTO ${spec.table} (${names.join(', ')}) SELECT ${columns.map((c) => c.select ?? c.name).join(', ')} FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')}) AS u(${names.join(', ')})`;
  let after = 0;
  for (;;) {
    const rows = source.all(select, [after, batchSize]);
    if (rows.length === 0) return;
    const arrays = columns.map((c) =>
      rows.map((row) => (c.convert ? c.convert(row[c.name], row) : row[c.name])),
    );
    await client.query(insert, arrays);
    after = Number(rows[rows.length - 1]?._rowid);
    progress(rows.length);
  }
}

/** Registered list paths and indexed paths of the source (SQLite JSON path text). */
function sourcePaths(source: SqlDatabase): { lists: string[]; indexed: string[] } {
  const lists = source
    .all('SELECT path_key FROM pubsub_list_paths ORDER BY path_key')
    .map((r) => String(r.path_key));
  const indexed = source
    .all(
      "SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'pubsub\\_items\\_path\\_%' ESCAPE '\\'",
    )
    .flatMap((r) => /json_extract\(parsed, '(\$[^']*)'\)/.exec(String(r.sql))?.[1] ?? []);
  return { lists, indexed };
}

/** `$.a[0].b` → `['a', 0, 'b']`, through the strict path parser. */
function fromJsonPath(key: string): (string | number)[] {
  return parsePathText(key.replace(/^\$\.?/, ''));
}

/**
 * Copies the sql.js store in `dataDir` into the empty database at `url`.
 *
 * @example
 * const report = await copyToPostgres({ dataDir: './data', url: 'postgres://aviary@127.0.0.1/aviary' });
 */
export async function copyToPostgres(options: {
  dataDir: string;
  url: string;
  batchSize?: number;
  onProgress?: (progress: CopyProgress) => void;
}): Promise<CopyReport> {
  const target = redactUrl(options.url);
  const batchSize = options.batchSize ?? 2000;
  const migrations = await loadMigrations();
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  const recovered = await recover({
    fs: nodeFsOps,
    dir: options.dataDir,
    sql: await loadSqlJs(),
    clock: systemClock,
    log: silentLog,
    // The source folder is only read: no snapshot, no journal truncation.
    readOnly: true,
  });
  const source = recovered.db;
  const client = new pg.Client({ connectionString: options.url });
  try {
    const applied = source
      .all("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
      .flatMap(() =>
        source.all('SELECT version FROM schema_version').map((r) => Number(r.version)),
      );
    if (Math.max(0, ...applied) !== newest) {
      throw new AviaryError(
        'storage.bad-argument',
        `the data folder ${options.dataDir} is at revision ${Math.max(0, ...applied)}, not ${newest}: run "aviary db upgrade" first`,
      );
    }
    await client.connect();
    await pgMigrateTo({ client, migrations, now: () => Date.now(), log: silentLog });
    if ((await pgAppliedVersions(client)).at(-1) !== newest) {
      throw new AviaryError('storage.migration-failed', `could not migrate ${target}`);
    }
    for (const { table } of COPIED_TABLES) {
      const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM ${table}) AS used`);
      if (rows[0]?.used === true) {
        throw new AviaryError(
          'storage.target-not-empty',
          `${target} is not empty (table ${table} has rows); db copy only fills an empty database`,
          { details: { table } },
        );
      }
    }
    const counts = COPIED_TABLES.map(({ table }) => ({
      table,
      rows: Number(source.get(`SELECT COUNT(*) AS c FROM ${table}`)?.c),
    }));
    const total = counts.reduce((sum, c) => sum + c.rows, 0);
    let copied = 0;
    await client.query('BEGIN');
    for (const spec of COPIED_TABLES) {
      options.onProgress?.({ table: spec.table, copied, total });
      await copyTable(source, client, spec, batchSize, (rows) => {
        copied += rows;
        options.onProgress?.({ table: spec.table, copied, total });
      });
      if (spec.identity !== undefined) {
        await client.query(
          `SELECT setval(pg_get_serial_sequence('${spec.table}', '${spec.identity}'), (SELECT coalesce(max(${spec.identity}), 0) + 1 FROM ${spec.table}), false)`,
        );
      }
    }
    const paths = sourcePaths(source);
    for (const key of paths.lists) {
      for (const ddl of listIndexDdl(fromJsonPath(key))) await client.query(ddl);
      await client.query('INSERT INTO pubsub_list_paths (path_key) VALUES ($1)', [key]);
    }
    for (const key of paths.indexed) await client.query(pathIndexDdl(fromJsonPath(key)).sql);
    for (const { table, rows } of counts) {
      const { rows: result } = await client.query(`SELECT COUNT(*)::int AS c FROM ${table}`);
      if (result[0]?.c !== rows) {
        throw new AviaryError(
          'storage.copy-mismatch',
          `row counts differ for ${table}: ${rows} in the data folder, ${result[0]?.c} copied`,
          { details: { table } },
        );
      }
    }
    await client.query('COMMIT');
    return { target, tables: counts, listPaths: paths.lists, indexedPaths: paths.indexed };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
    await recovered.journal?.close();
    source.close();
  }
}
