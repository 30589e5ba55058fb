/**
 * The append-only redo journal. One record per committed write batch:
 *
 *   [u32 LE payload length][u32 LE CRC-32 of payload][payload: UTF-8 JSON {s, q, w}]
 *
 * where `s` is the record sequence number, `q` the distinct statement texts and `w` the
 * statements in order as `[index into q, bound values]`.
 *
 * A record is acknowledged only after `fdatasync`. The file is grown ahead of the records in
 * extents of zeros (made durable with the first record written into them), so that a record's
 * `fdatasync` overwrites allocated blocks and has no file size or block allocation to commit:
 * zeros after the last record are that preallocated space, never a lost record (a record's
 * length field is never zero). It is cut off when the journal is closed.
 *
 * At start-up a torn TAIL (a record running past end-of-file or failing its CRC with nothing
 * valid after it) is cut off, fsynced and logged; a bad record followed by a valid one is
 * corruption and stops start-up.
 */
import { AviaryError } from '../errors.js';
import { crc32 } from '../util/crc32.js';
import type { FsFile, FsOps } from './fs-ops.js';
import type { StorageLog } from './storage-log.js';

/** A value bound to a statement parameter. */
export type SqlValue = string | number | null;
/** One recorded write statement with its bound values (deterministic redo). */
export type RecordedStatement = readonly [sql: string, params: readonly SqlValue[]];

/** One journal record: the write statements of one batch. */
export interface JournalRecord {
  readonly seq: number;
  readonly statements: readonly RecordedStatement[];
}

const HEADER = 8;
/** Upper bound on one record; anything larger is treated as garbage. */
const MAX_RECORD = 1 << 30;
/** The journal grows by this many bytes of zeros at a time (see the file comment). */
export const JOURNAL_EXTENT = 1 << 20;
let zeros: Uint8Array | undefined;

/** True when `bytes` from `at` on are all zero. */
function allZero(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Serialises a record with its length and CRC header. */
export function encodeRecord(record: JournalRecord): Uint8Array {
  // Statement texts are interned per record: `q` lists them once, `w` holds [index, params].
  const texts = new Map<string, number>();
  const writes = record.statements.map(([sql, params]) => {
    let index = texts.get(sql);
    if (index === undefined) {
      index = texts.size;
      texts.set(sql, index);
    }
    return [index, params];
  });
  const payload = new TextEncoder().encode(
    JSON.stringify({ s: record.seq, q: [...texts.keys()], w: writes }),
  );
  const out = new Uint8Array(HEADER + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, HEADER);
  return out;
}

/** Length of the valid record at `at`, or why there is none. */
function validAt(bytes: Uint8Array, at: number): number | string {
  if (at + HEADER > bytes.length)
    return `record header cut (${bytes.length - at} of ${HEADER} bytes)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(at, true);
  if (length === 0) return 'zero length (unwritten space)';
  if (length > MAX_RECORD) return `length ${length} beyond the record limit`;
  if (at + HEADER + length > bytes.length) {
    return `record cut: ${length} payload bytes announced, ${bytes.length - at - HEADER} present`;
  }
  if (crc32(bytes, at + HEADER, at + HEADER + length) !== view.getUint32(at + 4, true)) {
    return 'checksum mismatch';
  }
  return length;
}

/** Result of scanning a journal file. */
export interface JournalScan {
  readonly records: JournalRecord[];
  /** Bytes of valid records from the start; everything after is a torn tail. */
  readonly validBytes: number;
  /** Why the bytes after `validBytes` were not a record (absent when there are none). */
  readonly tailReason?: string;
  /** The bytes after `validBytes` are all zeros: preallocated space, no record lost. */
  readonly padding?: boolean;
}

/**
 * Parses a journal image. Throws `storage.journal-corrupt` when an invalid record is followed
 * by a valid one (or sequence numbers jump), which a crash alone cannot produce.
 */
export function scanJournal(
  bytes: Uint8Array,
  name = 'journal',
  options: { salvage?: boolean } = {},
): JournalScan {
  const records: JournalRecord[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  let tailReason: string | undefined;
  while (at < bytes.length) {
    const length = validAt(bytes, at);
    if (typeof length === 'string') {
      if (allZero(bytes, at)) {
        return { records, validBytes: at, tailReason: 'preallocated space (zeros)', padding: true };
      }
      for (let probe = at + 1; probe + HEADER < bytes.length; probe++) {
        if (typeof validAt(bytes, probe) === 'number') {
          if (options.salvage) {
            return {
              records,
              validBytes: at,
              tailReason: `invalid record (${length}) followed by a valid record at byte ${probe}: corruption, not a torn write`,
            };
          }
          throw new AviaryError(
            'storage.journal-corrupt',
            `${name}: invalid record at byte ${at} followed by a valid record at byte ${probe}`,
            { details: { file: name, offset: at, nextValid: probe } },
          );
        }
      }
      tailReason = length;
      break;
    }
    const body = JSON.parse(decoder.decode(bytes.subarray(at + HEADER, at + HEADER + length))) as {
      s: number;
      q: string[];
      w: [number, SqlValue[]][];
    };
    const previous = records[records.length - 1];
    if (previous !== undefined && body.s !== previous.seq + 1) {
      if (options.salvage) {
        return {
          records,
          validBytes: at,
          tailReason: `record sequence jumps from ${previous.seq} to ${body.s}`,
        };
      }
      throw new AviaryError(
        'storage.journal-corrupt',
        `${name}: record sequence jumps from ${previous.seq} to ${body.s} at byte ${at}`,
        { details: { file: name, offset: at } },
      );
    }
    records.push({
      seq: body.s,
      statements: body.w.map(([index, params]) => [body.q[index] as string, params] as const),
    });
    at += HEADER + length;
  }
  return tailReason === undefined
    ? { records, validBytes: at }
    : { records, validBytes: at, tailReason };
}

/** The log fields describing a dropped tail: where, how much, why, after which record. */
export function droppedTail(
  file: string,
  scan: JournalScan,
  bytes: Uint8Array,
): Record<string, unknown> {
  return {
    file,
    offset: scan.validBytes,
    droppedBytes: bytes.length - scan.validBytes,
    reason: scan.tailReason ?? 'unknown',
    lastKeptSeq: scan.records[scan.records.length - 1]?.seq ?? null,
  };
}

/** Writes `bytes` to `path` durably (the evidence a salvage cuts away). */
async function keepCopy(fs: FsOps, path: string, bytes: Uint8Array): Promise<void> {
  const copy = await fs.openFile(path);
  try {
    await copy.truncate(0);
    await copy.write(bytes, 0);
    await copy.datasync();
  } finally {
    await copy.close();
  }
}

/**
 * An open journal file. Appends are serialised by the caller (the engine applies one batch
 * at a time).
 *
 * @example
 * const { journal, records } = await Journal.open({ fs, path, log });
 * await journal.append({ seq: 1, statements: [['INSERT INTO t VALUES (?)', [1]]] });
 */
export class Journal {
  readonly path: string;
  #file: FsFile;
  #size: number;
  /** File length: the bytes from `#size` to here are zeros (preallocated). */
  #allocated: number;
  /** Bytes of zeros added past a record when the file must grow (0: grow by the record only). */
  #extent = JOURNAL_EXTENT;
  /** Set by the first append: the preallocated space is cut off at close. */
  #appended = false;
  /** A failed append may have left bytes after `#size`: cut them before the next append. */
  #dirty = false;

  private constructor(path: string, file: FsFile, size: number, allocated = size) {
    this.path = path;
    this.#file = file;
    this.#size = size;
    this.#allocated = allocated;
  }

  /**
   * Sets how far ahead of the records the file grows (default {@link JOURNAL_EXTENT}); 0 grows
   * it by each record, as earlier versions did (the storage benchmark's baseline only).
   */
  setExtent(bytes: number): void {
    this.#extent = bytes;
  }

  /** Opens or creates the journal, dropping (truncate + fsync + log) a torn tail. */
  static async open(deps: {
    fs: FsOps;
    path: string;
    log: StorageLog;
    /** Keep the valid prefix of a corrupt journal instead of refusing (`db recover`). */
    salvage?: boolean;
  }): Promise<{
    journal: Journal;
    records: JournalRecord[];
    /** What was cut off the end, if anything (log fields). */
    dropped?: Record<string, unknown>;
  }> {
    const { fs, path, log } = deps;
    const file = await fs.openFile(path);
    try {
      const size = await file.size();
      const bytes = size === 0 ? new Uint8Array(0) : await fs.readFile(path);
      const scan = scanJournal(bytes, path, { salvage: deps.salvage ?? false });
      if (scan.padding === true) {
        // Preallocated space left by a process that did not close the journal: reused.
        return {
          journal: new Journal(path, file, scan.validBytes, bytes.length),
          records: scan.records,
        };
      }
      if (scan.validBytes < bytes.length) {
        const dropped = droppedTail(path, scan, bytes);
        if (deps.salvage) await keepCopy(fs, `${path}.damaged`, bytes);
        await file.truncate(scan.validBytes);
        await file.datasync();
        log('warn', 'journal: dropped a torn or damaged last record', dropped);
        return {
          journal: new Journal(path, file, scan.validBytes),
          records: scan.records,
          dropped,
        };
      }
      return { journal: new Journal(path, file, scan.validBytes), records: scan.records };
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /** Bytes of acknowledged records. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one record and fdatasyncs it. On failure the record is not acknowledged, the file
   * is cut back (now or before the next append) and `storage.journal-write-failed` is thrown.
   *
   * `whileSyncing` (which must not throw) runs once the record is written and its fdatasync
   * issued, while the disk works: the engine finishes the batch's in-memory work there. The
   * returned promise still settles only after the fdatasync.
   */
  async append(record: JournalRecord, whileSyncing?: () => void): Promise<void> {
    const bytes = encodeRecord(record);
    try {
      if (this.#dirty) {
        await this.#file.truncate(this.#size);
        await this.#file.datasync();
        this.#allocated = this.#size;
        this.#dirty = false;
      }
      this.#dirty = true;
      this.#appended = true;
      await this.#file.write(bytes, this.#size);
      const end = this.#size + bytes.length;
      if (end > this.#allocated) {
        // Grows the file past the record: this record's fdatasync also commits the new
        // length and blocks, so the next records' fdatasyncs have no metadata to write.
        // Best effort: a disk too full for the extent still takes the record, as before.
        this.#allocated = end;
        if (this.#extent > 0) {
          if (zeros === undefined || zeros.length !== this.#extent)
            zeros = new Uint8Array(this.#extent);
          try {
            await this.#file.write(zeros, end);
            this.#allocated = end + this.#extent;
          } catch {
            // Some zeros may have landed: harmless, the next append overwrites them.
          }
        }
      }
      const syncing = this.#file.datasync();
      whileSyncing?.();
      await syncing;
      this.#dirty = false;
      this.#size += bytes.length;
    } catch (cause) {
      if (this.#dirty) {
        try {
          await this.#file.truncate(this.#size);
          this.#allocated = this.#size;
          this.#dirty = false;
        } catch {
          // Still dirty: the next append cuts the file before writing.
        }
      }
      throw new AviaryError('storage.journal-write-failed', `cannot write journal ${this.path}`, {
        cause,
        details: { file: this.path },
      });
    }
  }

  /** Cuts off the preallocated space (best effort: zeros after the records are harmless). */
  async close(): Promise<void> {
    try {
      if (this.#appended && this.#allocated > this.#size) await this.#file.truncate(this.#size);
    } catch {
      // Left as zeros: the next start reuses them as preallocated space.
    } finally {
      await this.#file.close();
    }
  }
}
