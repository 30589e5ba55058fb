import { nodeFsOps } from '../storage/fs-ops.js';
import { readManifest } from '../storage/manifest.js';
import { snapshotName } from '../storage/snapshot-files.js';
import type { StorageClient } from './storage-client.js';

/** Which snapshot is current once `snapshotStorage` returns. */
export type StorageSnapshotInfo =
  | {
      readonly backend: 'sqljs';
      /** The snapshot file in the data folder (`snapshot-GGGGGGGG.db`). */
      readonly file: string;
      readonly generation: number;
      /** CRC-32 of the image, as the manifest records it (the file's header says the same). */
      readonly crc32: number;
    }
  | { readonly backend: 'postgresql' };

/**
 * Writes a snapshot and reads back the manifest naming it. A snapshot file is never rewritten
 * once in place, and the engine keeps the previous one while it writes the next, so the file
 * named here stays readable for at least one more snapshot interval.
 */
export async function takeStorageSnapshot(
  storage: StorageClient,
  dataDir: string,
  url: string | undefined,
): Promise<StorageSnapshotInfo> {
  if (url !== undefined) return { backend: 'postgresql' };
  await storage.snapshot();
  const manifest = await readManifest(nodeFsOps, dataDir);
  const current = manifest?.snapshot;
  if (current === undefined || current === null)
    throw new Error('the storage wrote a snapshot but its manifest names none');
  return {
    backend: 'sqljs',
    file: snapshotName(current.generation),
    generation: current.generation,
    crc32: current.crc32,
  };
}
