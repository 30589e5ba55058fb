import { describe, expect, it } from 'vitest';
import { decodeBackup, encodeBackup } from './backup-archive.js';

const meta = { created: '2026-01-01T00:00:00.000Z', version: '0.0.0', backend: 'sqljs' as const };
const entries = [
  { name: 'snapshot-00000003.db', bytes: new Uint8Array([1, 2, 3, 10, 0, 255]) },
  { name: 'secret.key', bytes: new Uint8Array(32).fill(7) },
];

describe('backup archive', () => {
  it('round-trips its entries and header', () => {
    const { header, entries: read } = decodeBackup(encodeBackup(meta, entries));
    expect(header).toMatchObject({ format: 1, ...meta });
    expect(header.entries.map((e) => [e.name, e.bytes])).toEqual([
      ['snapshot-00000003.db', 6],
      ['secret.key', 32],
    ]);
    expect(read).toEqual(entries);
  });

  it('refuses a file with any byte of an entry changed, naming the entry', () => {
    const bytes = encodeBackup(meta, entries);
    const altered = Buffer.from(bytes);
    const last = altered.length - 1;
    altered[last] = (altered[last] ?? 0) ^ 1;
    expect(() => decodeBackup(altered)).toThrow(/secret\.key fails its SHA-256 checksum/);
  });

  it('refuses a truncated file, a file with bytes added and a foreign file', () => {
    const bytes = encodeBackup(meta, entries);
    expect(() => decodeBackup(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes of entries/);
    expect(() => decodeBackup(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(
      /bytes of entries/,
    );
    expect(() => decodeBackup(Buffer.from('SQLite format 3\0...'))).toThrow(/not an Aviary backup/);
  });

  it('refuses entry names that could leave the data folder', () => {
    const bytes = encodeBackup(meta, [{ name: '../evil', bytes: new Uint8Array([1]) }]);
    expect(() => decodeBackup(bytes)).toThrow(/bad entry name/);
  });
});
