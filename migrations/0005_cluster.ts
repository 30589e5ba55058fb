/**
 * Cluster coordination (several Aviary nodes on one PostgreSQL):
 * - `cluster_nodes`: one row per node, its advertised control API address and a heartbeat
 *   stamped with the database clock; `draining` is set while a node hands its shards over.
 * - `cluster_shards`: one lease per shard — the owner node, a fencing epoch that grows by one
 *   at every change of owner, and an expiry by the database clock. Every write an owner makes
 *   for an entity names (shard, owner, epoch) and is refused inside its own transaction when
 *   the row says otherwise (see src/cluster/fence.ts).
 * The SQLite dialect gets the same tables so both schemas stay alike; a single sql.js node
 * never uses them.
 */
import type { MigrationDb } from '../src/storage/migrator.js';

const POSTGRES_UP = `
CREATE TABLE cluster_nodes (
  name text PRIMARY KEY,
  api_url text,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  draining boolean NOT NULL DEFAULT false,
  entities_online integer NOT NULL DEFAULT 0
);
CREATE TABLE cluster_shards (
  shard integer PRIMARY KEY,
  owner text,
  epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT now()
);
`;

const SQLITE_UP = `
CREATE TABLE cluster_nodes (
  name TEXT PRIMARY KEY,
  api_url TEXT,
  started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  heartbeat_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  draining INTEGER NOT NULL DEFAULT 0,
  entities_online INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cluster_shards (
  shard INTEGER PRIMARY KEY,
  owner TEXT,
  epoch INTEGER NOT NULL DEFAULT 0,
  expires_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
`;

const DOWN = 'DROP TABLE cluster_shards; DROP TABLE cluster_nodes;';

export async function up(db: MigrationDb): Promise<void> {
  return db.exec(db.dialect === 'postgres' ? POSTGRES_UP : SQLITE_UP);
}

export async function down(db: MigrationDb): Promise<void> {
  return db.exec(DOWN);
}
