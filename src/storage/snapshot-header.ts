/**
 * The header every snapshot file starts with, so that a snapshot is verified before it is
 * loaded (a flipped byte or a cut file refuses start-up instead of being carried forward):
 *
 *   bytes  0..15  magic "aviary snapshot\n"
 *   bytes 16..19  u32 LE format version (1)
 *   bytes 20..23  u32 LE generation (must match the file name)
 *   bytes 24..31  u64 LE image length
 *   bytes 32..35  u32 LE CRC-32 of the image
 *   bytes 36..43  u64 LE sequence number of the last journal record the image contains
 *   bytes 44..47  u32 LE CRC-32 of bytes 0..43 (the header itself)
 *   bytes 48..    the SQLite image (`db.export()`)
 *
 * The sequence number lets start-up check that the first record of the snapshot's journal
 * follows it (a journal swapped in from another generation is caught).
 *
 * Files written before headers existed start with SQLite's own magic ("SQLite format 3\0");
 * {@link decodeSnapshot} reports them as `legacy` so that start-up can adopt them once.
 */
import { AviaryError } from '../errors.js';
import { crc32 } from '../util/crc32.js';

export const SNAPSHOT_HEADER_BYTES = 48;
const MAGIC = new TextEncoder().encode('aviary snapshot\n');
const SQLITE_MAGIC = new TextEncoder().encode('SQLite format 3\0');
const FORMAT = 1;

/** What a verified snapshot file holds. */
export interface DecodedSnapshot {
  /** Generation from the header; undefined for a legacy (headerless) file. */
  readonly generation: number | undefined;
  /** CRC-32 of the image (from the header, verified; computed for a legacy file). */
  readonly crc32: number;
  /** Last journal record in the image; undefined for a legacy file. */
  readonly seq: number | undefined;
  readonly image: Uint8Array;
  readonly legacy: boolean;
}

const startsWith = (bytes: Uint8Array, prefix: Uint8Array) =>
  bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);

/**
 * The header for `image` (written before it, so the image itself is never copied).
 *
 * @example
 * await file.write(snapshotHeader(7, image, lastSeq), 0);
 * await file.write(image, SNAPSHOT_HEADER_BYTES);
 */
export function snapshotHeader(generation: number, image: Uint8Array, seq: number): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(16, FORMAT, true);
  view.setUint32(20, generation, true);
  view.setBigUint64(24, BigInt(image.length), true);
  view.setUint32(32, crc32(image), true);
  view.setBigUint64(36, BigInt(seq), true);
  view.setUint32(44, crc32(out, 0, 44), true);
  return out;
}

function corrupt(name: string, reason: string): AviaryError {
  return new AviaryError('storage.snapshot-corrupt', `${name}: ${reason}`, {
    details: { file: name, reason },
  });
}

/** What the header of a headered snapshot says, once its own checks passed. */
export interface SnapshotHeaderFields {
  readonly generation: number;
  readonly imageLength: number;
  /** CRC-32 the image must have (not yet checked against the image). */
  readonly imageCrc32: number;
  readonly seq: number;
}

/**
 * Checks a headered snapshot's first {@link SNAPSHOT_HEADER_BYTES} bytes against the file's
 * length: magic, header checksum, format, generation and image length. The image's own
 * checksum is left to the caller. Throws `storage.snapshot-corrupt` with the reason.
 */
export function checkSnapshotHeader(
  header: Uint8Array,
  fileLength: number,
  name: string,
  expectedGeneration?: number,
): SnapshotHeaderFields {
  if (fileLength < SNAPSHOT_HEADER_BYTES || !startsWith(header, MAGIC)) {
    throw corrupt(name, `no snapshot header (${fileLength} bytes, neither Aviary nor SQLite)`);
  }
  const view = new DataView(header.buffer, header.byteOffset, SNAPSHOT_HEADER_BYTES);
  if (view.getUint32(44, true) !== crc32(header, 0, 44)) {
    throw corrupt(name, 'header checksum mismatch');
  }
  const format = view.getUint32(16, true);
  if (format !== FORMAT) throw corrupt(name, `unknown snapshot format ${format}`);
  const generation = view.getUint32(20, true);
  if (expectedGeneration !== undefined && generation !== expectedGeneration) {
    throw corrupt(name, `header says generation ${generation}, expected ${expectedGeneration}`);
  }
  const length = view.getBigUint64(24, true);
  const actual = BigInt(fileLength - SNAPSHOT_HEADER_BYTES);
  if (length !== actual) {
    throw corrupt(name, `image is ${actual} bytes, header says ${length} (cut or extended file)`);
  }
  return {
    generation,
    imageLength: Number(length),
    imageCrc32: view.getUint32(32, true),
    seq: Number(view.getBigUint64(36, true)),
  };
}

/** The refusal for an image whose CRC-32 differs from its header's. */
export const imageChecksumMismatch = (name: string): AviaryError =>
  corrupt(name, 'image checksum mismatch');

/** True when `bytes` start like a snapshot written before headers existed (plain SQLite). */
export const isLegacySnapshot = (bytes: Uint8Array): boolean => startsWith(bytes, SQLITE_MAGIC);

/**
 * Verifies and unwraps a snapshot file. Throws `storage.snapshot-corrupt` (with the reason)
 * when the header, the length, the checksum or the generation does not match.
 */
export function decodeSnapshot(
  bytes: Uint8Array,
  name: string,
  expectedGeneration?: number,
): DecodedSnapshot {
  if (startsWith(bytes, SQLITE_MAGIC)) {
    return {
      generation: undefined,
      crc32: crc32(bytes),
      seq: undefined,
      image: bytes,
      legacy: true,
    };
  }
  const header = checkSnapshotHeader(bytes, bytes.length, name, expectedGeneration);
  const image = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  if (crc32(image) !== header.imageCrc32) throw imageChecksumMismatch(name);
  return {
    generation: header.generation,
    crc32: header.imageCrc32,
    seq: header.seq,
    image,
    legacy: false,
  };
}
