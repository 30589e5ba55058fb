/**
 * `manifest.json`: which snapshot is the current state, which one came before it, and the
 * newest journal generation ever opened. Without it a deleted newest snapshot looks exactly
 * like an older store; with it start-up knows what must be there and refuses when it is not.
 *
 * Written atomically (temp file, fdatasync, rename, directory fsync) and self-checked by a
 * CRC-32 of its own body, so a manifest on disk is either a whole old one or a whole new one.
 */
import { join } from 'node:path';
import { AviaryError } from '../errors.js';
import { crc32 } from '../util/crc32.js';
import type { FsOps } from './fs-ops.js';

export const MANIFEST_FILE = 'manifest.json';

/** A snapshot as the manifest knows it: generation and the image checksum of its header. */
export interface SnapshotRef {
  readonly generation: number;
  readonly crc32: number;
}

export interface Manifest {
  /** The current state; null until the first snapshot. */
  readonly snapshot: SnapshotRef | null;
  /** The snapshot before it, kept (with its journals) as a fallback for `db recover`. */
  readonly previous: SnapshotRef | null;
  /** Newest journal generation opened: every journal from the snapshot's up to it must exist. */
  readonly journal: number;
  /**
   * Final sizes of the closed journals still kept: a closed journal cut exactly at a record
   * boundary is otherwise indistinguishable from a shorter one.
   */
  readonly sealed: readonly SealedJournal[];
}

/** A journal that takes no more appends, with its final size in bytes. */
export interface SealedJournal {
  readonly generation: number;
  readonly bytes: number;
}

const FORMAT = 1;

function body(m: Manifest): string {
  return JSON.stringify({
    format: FORMAT,
    snapshot: m.snapshot && { generation: m.snapshot.generation, crc32: m.snapshot.crc32 },
    previous: m.previous && { generation: m.previous.generation, crc32: m.previous.crc32 },
    journal: m.journal,
    sealed: m.sealed.map((j) => ({ generation: j.generation, bytes: j.bytes })),
  });
}

function corrupt(reason: string): AviaryError {
  return new AviaryError('storage.manifest-corrupt', `${MANIFEST_FILE} is corrupt: ${reason}`, {
    details: { file: MANIFEST_FILE, reason },
  });
}

const isRef = (v: unknown): v is SnapshotRef =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as SnapshotRef).generation) &&
  Number.isInteger((v as SnapshotRef).crc32);

/** Parses and checks a manifest text; throws `storage.manifest-corrupt`. */
export function parseManifest(text: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt('not JSON');
  }
  const m = parsed as Partial<Manifest> & { format?: unknown; check?: unknown };
  if (typeof m !== 'object' || m === null || m.format !== FORMAT) throw corrupt('unknown format');
  if (
    !(m.snapshot === null || isRef(m.snapshot)) ||
    !(m.previous === null || isRef(m.previous)) ||
    !Number.isInteger(m.journal) ||
    !Array.isArray(m.sealed) ||
    !m.sealed.every(
      (j: unknown) =>
        typeof j === 'object' &&
        j !== null &&
        Number.isInteger((j as SealedJournal).generation) &&
        Number.isInteger((j as SealedJournal).bytes),
    )
  ) {
    throw corrupt('missing or malformed fields');
  }
  const manifest: Manifest = {
    snapshot: m.snapshot,
    previous: m.previous,
    journal: m.journal as number,
    sealed: m.sealed as SealedJournal[],
  };
  if (m.check !== crc32(new TextEncoder().encode(body(manifest)))) {
    throw corrupt('checksum mismatch');
  }
  return manifest;
}

/** The manifest in `dir`, or undefined when there is none. */
export async function readManifest(fs: FsOps, dir: string): Promise<Manifest | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(dir, MANIFEST_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw corrupt('not UTF-8');
  }
  return parseManifest(text);
}

/** The manifest's file text (body plus its checksum). */
export function formatManifest(manifest: Manifest): string {
  const text = body(manifest);
  const check = crc32(new TextEncoder().encode(text));
  return `${text.slice(0, -1)},"check":${check}}\n`;
}

/** Replaces the manifest durably: temp file, fdatasync, rename, directory fsync. */
export async function writeManifest(fs: FsOps, dir: string, manifest: Manifest): Promise<void> {
  const temp = join(dir, `${MANIFEST_FILE}.tmp`);
  const bytes = new TextEncoder().encode(formatManifest(manifest));
  try {
    const file = await fs.openFile(temp);
    try {
      await file.truncate(0);
      await file.write(bytes, 0);
      await file.datasync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, join(dir, MANIFEST_FILE));
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await fs.syncDir(dir);
}
