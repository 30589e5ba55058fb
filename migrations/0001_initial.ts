/**
 * Initial schema, adapted from the Libervia backend's SQLAlchemy models
 * (libervia/backend/memory/sqla_mapping.py): profiles, components, parameters, private values,
 * message history and the pubsub cache. Timestamps are REAL seconds since the epoch, computed
 * in JS (never `now()` in SQL, so the journal stays deterministic redo).
 */
import type { MigrationDb } from '../src/storage/migrator.js';

export function up(db: MigrationDb): void {
  db.exec(`
CREATE TABLE profiles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  jid TEXT NOT NULL,
  password_ciphertext TEXT,
  server_host TEXT,
  server_port INTEGER,
  tls_policy TEXT NOT NULL DEFAULT 'required' CHECK (tls_policy IN ('required', 'optional', 'disabled')),
  autoconnect INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL
);
CREATE TABLE components (
  profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
  entry_point TEXT NOT NULL,
  secret_ciphertext TEXT,
  send_history INTEGER NOT NULL DEFAULT 0,
  receive_history INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE param_gen (
  category TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (category, name)
);
CREATE TABLE param_ind (
  category TEXT NOT NULL,
  name TEXT NOT NULL,
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  value TEXT,
  PRIMARY KEY (profile_id, category, name)
);
CREATE TABLE private_gen (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (namespace, key)
);
CREATE TABLE private_ind (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  value TEXT NOT NULL,
  PRIMARY KEY (profile_id, namespace, key)
);
CREATE TABLE history (
  uid TEXT PRIMARY KEY,
  stanza_id TEXT,
  origin_id TEXT,
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  source_res TEXT,
  dest TEXT NOT NULL,
  dest_res TEXT,
  timestamp REAL NOT NULL,
  received_timestamp REAL,
  type TEXT NOT NULL CHECK (type IN ('chat', 'error', 'groupchat', 'headline', 'normal', 'info')),
  extra TEXT
);
CREATE UNIQUE INDEX history_stanza_id ON history (profile_id, source, stanza_id) WHERE stanza_id IS NOT NULL;
CREATE UNIQUE INDEX history_origin_id ON history (profile_id, source, origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX history_profile_time ON history (profile_id, timestamp, uid);
CREATE INDEX history_source_time ON history (profile_id, source, timestamp);
CREATE INDEX history_dest_time ON history (profile_id, dest, timestamp);
CREATE TABLE message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  history_uid TEXT NOT NULL REFERENCES history(uid) ON DELETE CASCADE,
  message TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_history ON message (history_uid);
CREATE TABLE subject (
  id INTEGER PRIMARY KEY,
  history_uid TEXT NOT NULL REFERENCES history(uid) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subject_history ON subject (history_uid);
CREATE TABLE thread (
  id INTEGER PRIMARY KEY,
  history_uid TEXT NOT NULL UNIQUE REFERENCES history(uid) ON DELETE CASCADE,
  thread_id TEXT NOT NULL,
  parent_id TEXT
);
CREATE TABLE pubsub_nodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  subscribed INTEGER NOT NULL DEFAULT 0,
  analyser TEXT,
  type TEXT,
  subtype TEXT,
  sync_state TEXT CHECK (sync_state IN ('IN_PROGRESS', 'COMPLETED', 'ERROR', 'NO_SYNC')),
  sync_state_updated REAL,
  extra TEXT,
  UNIQUE (profile_id, service, name)
);
CREATE INDEX pubsub_nodes_type ON pubsub_nodes (type, subtype);
CREATE TABLE pubsub_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id INTEGER NOT NULL REFERENCES pubsub_nodes(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  created REAL NOT NULL,
  updated REAL NOT NULL,
  parsed TEXT,
  UNIQUE (node_id, name)
);
CREATE INDEX pubsub_items_created ON pubsub_items (node_id, created, id);
CREATE INDEX pubsub_items_updated ON pubsub_items (node_id, updated, id);
CREATE TABLE pubsub_subs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id INTEGER NOT NULL REFERENCES pubsub_nodes(id) ON DELETE CASCADE,
  subscriber TEXT,
  state TEXT CHECK (state IN ('subscribed', 'pending', 'unconfigured')),
  UNIQUE (node_id, subscriber)
);
`);
}

export function down(db: MigrationDb): void {
  db.exec(`
DROP TABLE pubsub_subs;
DROP TABLE pubsub_items;
DROP TABLE pubsub_nodes;
DROP TABLE thread;
DROP TABLE subject;
DROP TABLE message;
DROP TABLE history;
DROP TABLE private_ind;
DROP TABLE private_gen;
DROP TABLE param_ind;
DROP TABLE param_gen;
DROP TABLE components;
DROP TABLE profiles;
`);
}
