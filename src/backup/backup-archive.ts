/**
 * The `aviary backup` file: one file holding named entries, each checked by SHA-256.
 *
 *   line 1   `aviary backup 1`
 *   line 2   the header, one JSON object: format, creation time, version, backend, and the
 *            entries in order with their byte length and SHA-256 (hex)
 *   then     the entries' bytes, concatenated in that order, and nothing after them
 *
 * Reading verifies the magic line, the header, the total length and every digest before any
 * entry is handed out, so a truncated or altered backup is refused whole.
 */
import { createHash } from 'node:crypto';
import { AviaryError } from '../errors.js';

const MAGIC = 'aviary backup 1\n';

export interface BackupEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface BackupHeader {
  readonly format: 1;
  readonly created: string;
  readonly version: string;
  /** `sqljs`: the store is in the backup; `postgresql`: only the key (the database: pg_dump). */
  readonly backend: 'sqljs' | 'postgresql';
  readonly entries: readonly {
    readonly name: string;
    readonly bytes: number;
    readonly sha256: string;
  }[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function corrupt(reason: string): AviaryError {
  return new AviaryError(
    'backup.corrupt',
    `the backup is damaged or not an Aviary backup: ${reason}`,
  );
}

/** The backup file's bytes for `entries`. */
export function encodeBackup(
  meta: Omit<BackupHeader, 'format' | 'entries'>,
  entries: readonly BackupEntry[],
): Buffer {
  const header: BackupHeader = {
    format: 1,
    ...meta,
    entries: entries.map((e) => ({ name: e.name, bytes: e.bytes.length, sha256: sha256(e.bytes) })),
  };
  return Buffer.concat([
    Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`, 'utf8'),
    ...entries.map((e) => e.bytes),
  ]);
}

/** Verifies a backup file's bytes and returns its header and entries (`backup.corrupt` if not). */
export function decodeBackup(file: Uint8Array): { header: BackupHeader; entries: BackupEntry[] } {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)))
    throw corrupt('no "aviary backup 1" first line');
  const end = bytes.indexOf(0x0a, MAGIC.length);
  if (end < 0) throw corrupt('no header line');
  let header: BackupHeader;
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length, end).toString('utf8')) as BackupHeader;
  } catch {
    throw corrupt('the header is not JSON');
  }
  if (header.format !== 1 || !Array.isArray(header.entries)) throw corrupt('unknown header format');
  const total = header.entries.reduce((n, e) => n + e.bytes, 0);
  if (bytes.length !== end + 1 + total)
    throw corrupt(`${bytes.length - end - 1} bytes of entries where the header lists ${total}`);
  const entries: BackupEntry[] = [];
  let offset = end + 1;
  for (const entry of header.entries) {
    if (typeof entry.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(entry.name))
      throw corrupt(`bad entry name ${JSON.stringify(entry.name)}`);
    const content = bytes.subarray(offset, offset + entry.bytes);
    offset += entry.bytes;
    if (sha256(content) !== entry.sha256) throw corrupt(`${entry.name} fails its SHA-256 checksum`);
    entries.push({ name: entry.name, bytes: new Uint8Array(content) });
  }
  return { header, entries };
}
