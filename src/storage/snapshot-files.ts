/**
 * File layout of a data directory. Generation `g` pairs `snapshot-g.db` (the state after every
 * journal below `g`) with `journal-g.log` (writes after it); `manifest.json` names the current
 * snapshot. A snapshot is written to a temp file with a checksummed header
 * (see snapshot-header.ts), fdatasynced, renamed and the directory fsynced, then read back and
 * verified before the manifest names it; replay after a crash at any step is idempotent because
 * start-up only replays journals whose generation is at least the loaded snapshot's.
 */
import { join } from 'node:path';
import { AviaryError } from '../errors.js';
import type { FsOps } from './fs-ops.js';
import type { SnapshotRef } from './manifest.js';
import {
  type DecodedSnapshot,
  decodeSnapshot,
  SNAPSHOT_HEADER_BYTES,
  snapshotHeader,
} from './snapshot-header.js';

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

/**
 * Writes `image` as snapshot `gen` durably (temp file, fdatasync, rename, directory fsync) and
 * verifies it by reading it back. A failure removes the temp file, so a full disk does not stay
 * full until the next start.
 */
export async function writeSnapshot(
  fs: FsOps,
  dir: string,
  gen: number,
  image: Uint8Array,
  seq: number,
): Promise<SnapshotRef> {
  const temp = join(dir, `${snapshotName(gen)}.tmp`);
  try {
    const file = await fs.openFile(temp);
    try {
      await file.truncate(0);
      await file.write(snapshotHeader(gen, image, seq), 0);
      await file.write(image, SNAPSHOT_HEADER_BYTES);
      await file.datasync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, join(dir, snapshotName(gen)));
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await fs.syncDir(dir);
  const verified = await readSnapshot(fs, dir, gen);
  return { generation: gen, crc32: verified.crc32 };
}

/**
 * Reads and verifies snapshot `gen`. Throws `storage.snapshot-missing` when there is no such
 * file and `storage.snapshot-corrupt` when it fails its header checks.
 */
export async function readSnapshot(fs: FsOps, dir: string, gen: number): Promise<DecodedSnapshot> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(dir, snapshotName(gen)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new AviaryError('storage.snapshot-missing', `${snapshotName(gen)} is missing`, {
      details: { file: snapshotName(gen) },
    });
  }
  return decodeSnapshot(bytes, snapshotName(gen), gen);
}
