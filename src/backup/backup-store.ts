/**
 * What `aviary backup` copies and how `aviary restore` lays it out again.
 *
 * A backup of the embedded (sql.js) store is ONE verified snapshot: the runtime writes it on
 * request (`storage.snapshot`), so it is the whole state at one instant between two commit
 * batches, with no journal to replay. Restoring writes that snapshot, an empty journal of the
 * same generation and a manifest naming it: start-up then loads it like any other snapshot.
 * The secret key (`secret.key`) travels with it, because without it no stored password decrypts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AviaryError } from '../errors.js';
import type { StorageSnapshotInfo } from '../runtime/storage-snapshot.js';
import { KEY_ENV, KEY_FILE } from '../security/secret-box.js';
import { nodeFsOps } from '../storage/fs-ops.js';
import { writeManifest } from '../storage/manifest.js';
import { journalName, snapshotName } from '../storage/snapshot-files.js';
import { decodeSnapshot } from '../storage/snapshot-header.js';
import type { BackupEntry, BackupHeader } from './backup-archive.js';

/** The entries to back up, and what the operator must be told about them. */
export interface CollectedBackup {
  readonly backend: BackupHeader['backend'];
  readonly entries: readonly BackupEntry[];
  readonly notes: readonly string[];
}

/** Reads the snapshot named by `info` (verified against its header and the manifest's CRC) and the key. */
export function collectBackup(
  dataDir: string,
  info: StorageSnapshotInfo,
  env: NodeJS.ProcessEnv,
): CollectedBackup {
  const entries: BackupEntry[] = [];
  const notes: string[] = [];
  if (info.backend === 'sqljs') {
    const bytes = readFileSync(join(dataDir, info.file));
    const decoded = decodeSnapshot(bytes, info.file, info.generation);
    if (decoded.crc32 !== info.crc32)
      throw new AviaryError(
        'storage.snapshot-corrupt',
        `${info.file} does not match the checksum its manifest records`,
      );
    entries.push({ name: info.file, bytes: new Uint8Array(bytes) });
  } else {
    notes.push(
      'the store is on PostgreSQL: this backup holds the secret key only; back the database up with pg_dump (see docs/operations.md)',
    );
  }
  const keyPath = join(dataDir, KEY_FILE);
  if (existsSync(keyPath))
    entries.push({ name: KEY_FILE, bytes: new Uint8Array(readFileSync(keyPath)) });
  if (env[KEY_ENV] !== undefined && env[KEY_ENV] !== '')
    notes.push(
      `${KEY_ENV} is set: the runtime may use that key rather than ${KEY_FILE}; keep it with the backup, it is not in it`,
    );
  else if (!existsSync(keyPath))
    notes.push(
      `no ${KEY_FILE} in ${dataDir}: stored passwords cannot be decrypted from this backup alone`,
    );
  return { backend: info.backend, entries, notes };
}

const STORE_FILE = /^(snapshot-\d{8}\.db|journal-\d{8}\.log|manifest\.json|secret\.key)$/;

/** The files of a data folder that a restore would replace (store files and the key). */
export function storeFilesIn(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir).filter((name) => STORE_FILE.test(name));
}

/**
 * Lays a verified backup out in `dataDir` (created if missing, mode 0700): the snapshot, an
 * empty journal of its generation, a manifest naming it, and the key (mode 0600). The caller
 * holds the folder's lock and has checked that replacing what is there was asked for.
 */
export async function layOutBackup(
  dataDir: string,
  header: BackupHeader,
  entries: readonly BackupEntry[],
): Promise<{ generation: number | null; files: string[] }> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  let generation: number | null = null;
  for (const entry of entries) {
    if (entry.name === KEY_FILE) {
      writeFileSync(join(dataDir, KEY_FILE), entry.bytes, { mode: 0o600 });
      written.push(KEY_FILE);
      continue;
    }
    if (!/^snapshot-\d{8}\.db$/.test(entry.name)) continue;
    const decoded = decodeSnapshot(entry.bytes, entry.name);
    if (decoded.generation === undefined || snapshotName(decoded.generation) !== entry.name)
      throw new AviaryError('backup.corrupt', `${entry.name} does not carry its own generation`);
    generation = decoded.generation;
    const file = await nodeFsOps.openFile(join(dataDir, entry.name));
    try {
      await file.truncate(0);
      await file.write(entry.bytes, 0);
      await file.datasync();
    } finally {
      await file.close();
    }
    writeFileSync(join(dataDir, journalName(generation)), new Uint8Array(0), { mode: 0o600 });
    await writeManifest(nodeFsOps, dataDir, {
      snapshot: { generation, crc32: decoded.crc32 },
      previous: null,
      journal: generation,
      sealed: [],
    });
    written.push(entry.name, journalName(generation), 'manifest.json');
  }
  if (header.backend === 'sqljs' && generation === null)
    throw new AviaryError('backup.corrupt', 'the backup says sql.js but holds no snapshot');
  await nodeFsOps.syncDir(dataDir);
  return { generation, files: written };
}
