/**
 * `aviary db check`: an integrity check of a data folder that changes nothing. It verifies the
 * manifest, every snapshot's header and checksum, every journal record's CRC, then loads the
 * store in memory exactly as start-up would (read-only) and runs SQLite's
 * `PRAGMA integrity_check` on the result.
 */
import { join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { systemClock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import { scanJournal } from './journal.js';
import { type Manifest, readManifest } from './manifest.js';
import { recover } from './recover.js';
import { journalName, listDataDir, readSnapshot, snapshotName } from './snapshot-files.js';
import { loadSqlJs } from './sql-database.js';
import { type StorageLog, silentLog } from './storage-log.js';

export type CheckStatus = 'ok' | 'warning' | 'failed';

export interface CheckItem {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface CheckReport {
  /** False when any item failed (warnings do not fail the check). */
  readonly ok: boolean;
  readonly items: readonly CheckItem[];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function checkManifest(fs: FsOps, dir: string, items: CheckItem[]) {
  try {
    const manifest = await readManifest(fs, dir);
    items.push(
      manifest === undefined
        ? { check: 'manifest', status: 'warning', detail: 'no manifest.json (new or older folder)' }
        : {
            check: 'manifest',
            status: 'ok',
            detail: `current snapshot ${manifest.snapshot?.generation ?? 'none'}, previous ${manifest.previous?.generation ?? 'none'}, newest journal ${manifest.journal}`,
          },
    );
    return manifest;
  } catch (error) {
    items.push({ check: 'manifest', status: 'failed', detail: message(error) });
    return undefined;
  }
}

async function checkFiles(
  fs: FsOps,
  dir: string,
  manifest: Manifest | undefined,
  items: CheckItem[],
) {
  const files = await listDataDir(fs, dir);
  for (const gen of files.snapshots) {
    const check = snapshotName(gen);
    try {
      const snapshot = await readSnapshot(fs, dir, gen);
      const named = [manifest?.snapshot, manifest?.previous].find((r) => r?.generation === gen);
      if (named != null && named.crc32 !== snapshot.crc32) {
        items.push({ check, status: 'failed', detail: 'checksum differs from the manifest' });
      } else if (snapshot.legacy) {
        items.push({
          check,
          status: 'warning',
          detail: 'no header (older format): not verifiable',
        });
      } else {
        items.push({
          check,
          status: 'ok',
          detail: `header and checksum verified (${snapshot.image.length} bytes)`,
        });
      }
    } catch (error) {
      items.push({ check, status: 'failed', detail: message(error) });
    }
  }
  for (const gen of files.journals) {
    const check = journalName(gen);
    try {
      const bytes = await fs.readFile(join(dir, check));
      const scan = scanJournal(bytes, check);
      items.push(
        scan.validBytes < bytes.length && scan.padding !== true
          ? {
              check,
              status: 'warning',
              detail: `${scan.records.length} records; ${bytes.length - scan.validBytes} bytes at offset ${scan.validBytes} are not a record (${scan.tailReason}); start-up drops them`,
            }
          : {
              check,
              status: 'ok',
              detail: `${scan.records.length} records, every CRC verified${scan.padding === true ? `; ${bytes.length - scan.validBytes} bytes of preallocated space after them` : ''}`,
            },
      );
    } catch (error) {
      items.push({ check, status: 'failed', detail: message(error) });
    }
  }
}

/**
 * Checks the data folder without changing it.
 *
 * @example
 * const report = await dbCheck('./data');
 * if (!report.ok) process.exitCode = 1;
 */
export async function dbCheck(
  dataDir: string,
  extra: { fs?: FsOps; sqlJs?: SqlJsStatic; log?: StorageLog } = {},
): Promise<CheckReport> {
  const fs = extra.fs ?? nodeFsOps;
  const items: CheckItem[] = [];
  const manifest = await checkManifest(fs, dataDir, items);
  try {
    await checkFiles(fs, dataDir, manifest, items);
  } catch (error) {
    items.push({ check: 'data folder', status: 'failed', detail: message(error) });
  }
  try {
    const { db, report } = await recover({
      fs,
      dir: dataDir,
      sql: extra.sqlJs ?? (await loadSqlJs()),
      clock: systemClock,
      log: extra.log ?? silentLog,
      readOnly: true,
    });
    try {
      const rows = db.all('PRAGMA integrity_check');
      const problems = rows.map((r) => String(Object.values(r)[0])).filter((t) => t !== 'ok');
      items.push({
        check: 'load',
        status: 'ok',
        detail: `snapshot ${report.snapshot ?? 'none'} + ${report.journals.reduce((n, j) => n + j.records, 0)} journal records replayed`,
      });
      items.push(
        problems.length === 0
          ? { check: 'integrity_check', status: 'ok', detail: 'ok' }
          : { check: 'integrity_check', status: 'failed', detail: problems.join('; ') },
      );
    } finally {
      db.close();
    }
  } catch (error) {
    const refused = error instanceof AviaryError ? ` [${error.code}]` : '';
    items.push({ check: 'load', status: 'failed', detail: `${message(error)}${refused}` });
  }
  return { ok: items.every((i) => i.status !== 'failed'), items };
}
