/**
 * Which snapshot start-up loads, decided from the manifest and the verified files — or a
 * refusal that says what is wrong and which earlier snapshot `aviary db recover` can start
 * from. Invariant: a normal start never loads an older state than the manifest names; only an
 * explicit recovery does.
 */
import { join } from 'node:path';
import { AviaryError } from '../errors.js';
import type { FsOps } from './fs-ops.js';
import type { Manifest } from './manifest.js';
import { journalName, readSnapshot, snapshotName } from './snapshot-files.js';
import type { DecodedSnapshot } from './snapshot-header.js';
import { openSnapshotSource, type SnapshotSource } from './snapshot-source.js';

/** The snapshot to load (none: start from an empty database and the journals). */
export interface SnapshotChoice {
  readonly generation: number | undefined;
  /**
   * The snapshot read whole and verified, or (a normal start with a streaming filesystem)
   * opened with its header verified: its image is checked by `verify()` once loaded.
   */
  readonly decoded: DecodedSnapshot | SnapshotSource | undefined;
  /** A folder from before manifests and headers: loaded unchecked, to be re-snapshotted. */
  readonly legacy: boolean;
  /** Newer snapshot files that did not verify and are not named by the manifest. */
  readonly rejected: readonly { generation: number; reason: string }[];
}

async function tryRead(
  fs: FsOps,
  dir: string,
  gen: number,
): Promise<DecodedSnapshot | AviaryError> {
  try {
    return await readSnapshot(fs, dir, gen);
  } catch (error) {
    if (error instanceof AviaryError) return error;
    throw error;
  }
}

/**
 * Snapshot `gen` opened for streaming when the filesystem allows it (header verified, image
 * checksum pending); read whole and verified otherwise, and for a legacy file.
 */
async function tryOpen(
  fs: FsOps,
  dir: string,
  gen: number,
): Promise<DecodedSnapshot | SnapshotSource | AviaryError> {
  if (fs.openSyncReader === undefined) return tryRead(fs, dir, gen);
  let file: ReturnType<NonNullable<FsOps['openSyncReader']>>;
  try {
    file = fs.openSyncReader(join(dir, snapshotName(gen)));
  } catch {
    // Missing or unreadable: the whole-file read says which, with the same error as before.
    return tryRead(fs, dir, gen);
  }
  try {
    return openSnapshotSource(file, snapshotName(gen), gen) ?? (await tryRead(fs, dir, gen));
  } catch (error) {
    if (error instanceof AviaryError) return error;
    throw error;
  }
}

/** The newest snapshot below `below` whose header verifies. */
export async function previousGood(
  fs: FsOps,
  dir: string,
  snapshots: readonly number[],
  below: number,
): Promise<number | undefined> {
  for (const gen of [...snapshots].reverse()) {
    if (gen >= below) continue;
    const read = await tryRead(fs, dir, gen);
    if (!(read instanceof AviaryError) && !read.legacy) return gen;
  }
  return undefined;
}

/** The refusal for a missing or corrupt current snapshot, naming the fallback. */
export async function refuseSnapshot(
  fs: FsOps,
  dir: string,
  snapshots: readonly number[],
  gen: number,
  cause: AviaryError,
  why: string,
): Promise<AviaryError> {
  const fallback = await previousGood(fs, dir, snapshots, gen);
  const advice =
    fallback === undefined
      ? 'No earlier snapshot verifies; "aviary db recover" starts from the journals alone and reports what is lost.'
      : `The previous good snapshot is generation ${fallback} (${snapshotName(fallback)}): "aviary db recover --from ${fallback}" starts from it and replays ${journalName(fallback)} onwards; writes missing from those journals are lost.`;
  return new AviaryError(
    cause.code,
    `${cause.message}; ${why}, so starting would silently roll the store back. Refusing to start. ${advice}`,
    { cause, details: { file: snapshotName(gen), previousGood: fallback ?? null } },
  );
}

/**
 * Chooses the snapshot for a normal start. Throws (with advice) when the manifest's snapshot
 * is missing or corrupt, or when headered snapshots exist without a manifest.
 */
export async function chooseSnapshot(deps: {
  fs: FsOps;
  dir: string;
  snapshots: readonly number[];
  manifest: Manifest | undefined;
}): Promise<SnapshotChoice> {
  const { fs, dir, snapshots, manifest } = deps;
  const rejected: { generation: number; reason: string }[] = [];
  if (manifest === undefined) {
    const newest = snapshots[snapshots.length - 1];
    if (newest === undefined) {
      return { generation: undefined, decoded: undefined, legacy: false, rejected };
    }
    const read = await tryRead(fs, dir, newest);
    if (read instanceof AviaryError) {
      throw await refuseSnapshot(
        fs,
        dir,
        snapshots,
        newest,
        read,
        'there is no manifest.json either',
      );
    }
    if (!read.legacy) {
      throw await refuseSnapshot(
        fs,
        dir,
        snapshots,
        newest + 1,
        new AviaryError('storage.manifest-missing', 'manifest.json is missing'),
        'without it a deleted newest snapshot cannot be told from an older store',
      );
    }
    return { generation: newest, decoded: read, legacy: true, rejected };
  }
  const named = manifest.snapshot?.generation;
  // A snapshot newer than the manifest's was renamed into place just before a crash (its
  // generation is the manifest's newest journal): whole if it verifies, ignored otherwise.
  for (const gen of [...snapshots].reverse()) {
    if (named !== undefined && gen <= named) break;
    if (gen !== manifest.journal) continue; // only the snapshot being written can be newer
    const read = await tryRead(fs, dir, gen);
    if (read instanceof AviaryError) {
      rejected.push({ generation: gen, reason: read.message });
      continue;
    }
    if (!read.legacy) return { generation: gen, decoded: read, legacy: false, rejected };
    rejected.push({ generation: gen, reason: 'no header, newer than the manifest' });
  }
  if (named === undefined)
    return { generation: undefined, decoded: undefined, legacy: false, rejected };
  const read = await tryOpen(fs, dir, named);
  const mismatch =
    !(read instanceof AviaryError) && (read.legacy || read.crc32 !== manifest.snapshot?.crc32);
  if (read instanceof AviaryError || mismatch) {
    if (!(read instanceof AviaryError) && 'verify' in read) read.close();
    const cause =
      read instanceof AviaryError
        ? read
        : new AviaryError(
            'storage.snapshot-corrupt',
            `${snapshotName(named)} is not the snapshot manifest.json names (checksum differs)`,
          );
    throw await refuseSnapshot(
      fs,
      dir,
      snapshots,
      named,
      cause,
      'manifest.json names it as the current state',
    );
  }
  return { generation: named, decoded: read, legacy: false, rejected };
}

/**
 * Chooses the snapshot for `aviary db recover`: generation `from` (which must verify), or by
 * default the newest that verifies; none means start from the journals alone.
 */
export async function chooseRecoverySnapshot(deps: {
  fs: FsOps;
  dir: string;
  snapshots: readonly number[];
  from: number | undefined;
}): Promise<SnapshotChoice> {
  const { fs, dir, snapshots, from } = deps;
  const rejected: { generation: number; reason: string }[] = [];
  if (from !== undefined) {
    const read = await tryRead(fs, dir, from);
    if (read instanceof AviaryError) {
      throw new AviaryError(
        'storage.bad-argument',
        `cannot recover from generation ${from}: ${read.message}`,
        {
          cause: read,
        },
      );
    }
    for (const gen of snapshots) {
      if (gen > from) rejected.push({ generation: gen, reason: `newer than --from ${from}` });
    }
    return { generation: from, decoded: read, legacy: read.legacy, rejected };
  }
  for (const gen of [...snapshots].reverse()) {
    const read = await tryRead(fs, dir, gen);
    if (read instanceof AviaryError) {
      rejected.push({ generation: gen, reason: read.message });
      continue;
    }
    return { generation: gen, decoded: read, legacy: read.legacy, rejected };
  }
  return { generation: undefined, decoded: undefined, legacy: false, rejected };
}
