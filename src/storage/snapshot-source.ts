/**
 * A headered snapshot streamed into the database instead of read whole first. Reading a large
 * snapshot into one buffer costs as much again as loading it (every page of that buffer is new
 * memory, and on some machines a page fault costs more than the copy), and its CRC-32 was a
 * second pass over it. Here the image is read through a reused window of {@link WINDOW_BYTES},
 * the CRC-32 is folded in as the window moves forward, and {@link SnapshotSource.verify}
 * finishes it over any bytes the load did not read.
 *
 * Invariant: the header (magic, header checksum, format, generation, length) is checked when
 * the source is opened; the image's checksum is checked by `verify()`, which the loader calls
 * after copying the pages and before running any statement on them. A snapshot that fails it
 * is refused exactly as one that failed a whole-file read.
 */

import { crc32Update } from '../util/crc32.js';
import type { FsSyncReader } from './fs-ops.js';
import {
  checkSnapshotHeader,
  imageChecksumMismatch,
  isLegacySnapshot,
  SNAPSHOT_HEADER_BYTES,
} from './snapshot-header.js';

/** Bytes read from the file at a time (a multiple of every SQLite page size). */
const WINDOW_BYTES = 1 << 20;

/**
 * The image as the few members of a `Uint8Array` that sql.js's in-memory file system uses
 * when a database is created from it and read (`length`, `slice` once, then `subarray` for
 * every read). Each `subarray` is a view into the window, valid until the next call. This
 * relies on sql.js 1.x's file system internals; snapshot-source.test.ts loads a real database
 * this way, so an upgrade that changes them fails there rather than refusing good stores.
 */
export interface PagedImage {
  readonly length: number;
  slice(start: number, end: number): PagedImage;
  subarray(start: number, end: number): Uint8Array;
}

/** A snapshot whose header verified and whose image is still on disk. */
export interface SnapshotSource {
  readonly generation: number;
  /** The image's CRC-32 according to the (verified) header. */
  readonly crc32: number;
  readonly seq: number;
  readonly legacy: false;
  readonly image: PagedImage;
  /** Checksums what was not read yet; throws `storage.snapshot-corrupt` on a mismatch. */
  verify(): void;
  close(): void;
}

class WindowedImage implements PagedImage {
  readonly length: number;
  #window = new Uint8Array(WINDOW_BYTES);
  #windowStart = 0;
  #windowLength = 0;
  /** A read came back short (the file shrank after its header was checked). */
  #short = false;
  /** Image bytes [0, covered) are folded into `crc`. */
  #covered = 0;
  #crc = 0;
  readonly #file: FsSyncReader;

  constructor(file: FsSyncReader, length: number) {
    this.#file = file;
    this.length = length;
  }

  /** sql.js creates its file with `slice(0, length)`: the image itself, not a copy. */
  slice(start: number, end: number): PagedImage {
    if (start !== 0 || end !== this.length) throw new Error('a snapshot image is used whole');
    return this;
  }

  subarray(start: number, end: number): Uint8Array {
    const from = start - this.#windowStart;
    if (from < 0 || end - this.#windowStart > this.#windowLength) this.#load(start, end);
    return this.#window.subarray(start - this.#windowStart, end - this.#windowStart);
  }

  #load(start: number, end: number): void {
    const aligned = start - (start % WINDOW_BYTES);
    const wanted = Math.min(Math.max(WINDOW_BYTES, end - aligned), this.length - aligned);
    if (this.#window.length < wanted) this.#window = new Uint8Array(wanted);
    const read = this.#file.read(this.#window.subarray(0, wanted), SNAPSHOT_HEADER_BYTES + aligned);
    // Never throw here: this runs inside SQLite's read call, which must return normally.
    // The missing bytes read as zeros and verify() refuses the image.
    if (read !== wanted) {
      this.#short = true;
      this.#window.fill(0, read, wanted);
    }
    this.#windowStart = aligned;
    this.#windowLength = wanted;
    this.#fold();
  }

  /** Folds the window's bytes beyond `covered` into the CRC, when the window reaches it. */
  #fold(): void {
    const end = this.#windowStart + this.#windowLength;
    if (this.#covered < this.#windowStart || this.#covered >= end) return;
    this.#crc = crc32Update(
      this.#crc,
      this.#window.subarray(this.#covered - this.#windowStart, this.#windowLength),
    );
    this.#covered = end;
  }

  /** The image's CRC-32, reading what the load skipped; undefined when a read came short. */
  finishCrc(): number | undefined {
    while (this.#covered < this.length) this.#load(this.#covered, this.#covered + 1);
    return this.#short ? undefined : this.#crc;
  }
}

/**
 * Opens snapshot file `path` for streaming, or returns undefined when it is a legacy
 * (headerless) file, which the caller reads whole. Throws `storage.snapshot-corrupt` when the
 * header does not verify.
 */
export function openSnapshotSource(
  file: FsSyncReader,
  name: string,
  expectedGeneration: number,
): SnapshotSource | undefined {
  let handedOver = false;
  try {
    const header = new Uint8Array(Math.min(SNAPSHOT_HEADER_BYTES, file.size));
    file.read(header, 0);
    if (isLegacySnapshot(header)) return undefined;
    const fields = checkSnapshotHeader(header, file.size, name, expectedGeneration);
    const image = new WindowedImage(file, fields.imageLength);
    handedOver = true;
    return {
      generation: fields.generation,
      crc32: fields.imageCrc32,
      seq: fields.seq,
      legacy: false,
      image,
      verify() {
        if (image.finishCrc() !== fields.imageCrc32) throw imageChecksumMismatch(name);
      },
      close: () => file.close(),
    };
  } finally {
    if (!handedOver) file.close();
  }
}
