/** Public surface of the storage engine (re-exports only). */
export * from './db-commands.js';
export type { FsFile, FsOps } from './fs-ops.js';
export { nodeFsOps } from './fs-ops.js';
export * from './messages.js';
export type { Migration, MigrationDb, MigrationResult } from './migrator.js';
export { StorageEngine, type StorageEngineOptions, type StorageHealth } from './storage-engine.js';
export type { StorageLog, StorageLogLevel } from './storage-log.js';
export type { StorageStats } from './storage-stats.js';
