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
  if (bytes.length < SNAPSHOT_HEADER_BYTES || !startsWith(bytes, MAGIC)) {
    throw corrupt(name, `no snapshot header (${bytes.length} bytes, neither Aviary nor SQLite)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(44, true) !== crc32(bytes, 0, 44)) {
    throw corrupt(name, 'header checksum mismatch');
  }
  const format = view.getUint32(16, true);
  if (format !== FORMAT) throw corrupt(name, `unknown snapshot format ${format}`);
  const generation = view.getUint32(20, true);
  if (expectedGeneration !== undefined && generation !== expectedGeneration) {
    throw corrupt(name, `header says generation ${generation}, expected ${expectedGeneration}`);
  }
  const length = view.getBigUint64(24, true);
  const actual = BigInt(bytes.length - SNAPSHOT_HEADER_BYTES);
  if (length !== actual) {
    throw corrupt(name, `image is ${actual} bytes, header says ${length} (cut or extended file)`);
  }
  const image = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  const expected = view.getUint32(32, true);
  if (crc32(image) !== expected) throw corrupt(name, 'image checksum mismatch');
  return {
    generation,
    crc32: expected,
    seq: Number(view.getBigUint64(36, true)),
    image,
    legacy: false,
  };
}
