/**
 * File layout of a data directory. Generation `g` pairs `snapshot-g.db` (the state after every
 * journal below `g`) with `journal-g.log` (writes after it). A snapshot is written to a temp
 * file, fdatasynced, renamed and the directory fsynced, so a named snapshot is always whole;
 * replay after a crash at any step is idempotent because start-up only replays journals whose
 * generation is at least the newest snapshot's.
 */
import { join } from 'node:path';
import type { FsOps } from './fs-ops.js';

const SNAPSHOT = /^snapshot-(\d{8})\.db$/;
const JOURNAL = /^journal-(\d{8})\.log$/;

const pad = (gen: number) => String(gen).padStart(8, '0');
export const snapshotName = (gen: number) => `snapshot-${pad(gen)}.db`;
export const journalName = (gen: number) => `journal-${pad(gen)}.log`;

export interface DataDirListing {
  readonly snapshots: number[];
  readonly journals: number[];
  readonly temps: string[];
}

/** Generations present in `dir`, ascending. */
export async function listDataDir(fs: FsOps, dir: string): Promise<DataDirListing> {
  const names = await fs.readdir(dir);
  const pick = (re: RegExp) =>
    names
      .map((n) => re.exec(n)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  return {
    snapshots: pick(SNAPSHOT),
    journals: pick(JOURNAL),
    temps: names.filter((n) => n.endsWith('.tmp')),
  };
}

/** Writes `image` as snapshot `gen` durably (temp file, fdatasync, rename, directory fsync). */
export async function writeSnapshot(
  fs: FsOps,
  dir: string,
  gen: number,
  image: Uint8Array,
): Promise<void> {
  const temp = join(dir, `${snapshotName(gen)}.tmp`);
  const file = await fs.openFile(temp);
  try {
    await file.truncate(0);
    await file.write(image, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, join(dir, snapshotName(gen)));
  await fs.syncDir(dir);
}
