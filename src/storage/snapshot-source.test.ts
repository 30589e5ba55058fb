import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FsSyncReader, nodeFsOps } from './fs-ops.js';
import { SNAPSHOT_HEADER_BYTES, snapshotHeader } from './snapshot-header.js';
import { openSnapshotSource } from './snapshot-source.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';

const NAME = 'snapshot-00000007.db';

/** A snapshot file of generation 7 holding `image`; returns its path. */
function snapshotFile(image: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aviary-snapshot-source-')), NAME);
  writeFileSync(path, Buffer.concat([snapshotHeader(7, image, 42), image]));
  return path;
}

/** Deterministic bytes spanning several 1 MiB read windows. */
function pseudoRandomImage(length: number): Uint8Array {
  const image = new Uint8Array(length);
  let x = 0x12345678;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    image[i] = x >>> 24;
  }
  return image;
}

const open = (path: string) => {
  const reader = nodeFsOps.openSyncReader?.(path) as FsSyncReader;
  return openSnapshotSource(reader, NAME, 7);
};

describe('a snapshot streamed into the database', () => {
  it('serves the image bytes in any order and verifies its checksum', () => {
    const image = pseudoRandomImage(3 * (1 << 20) + 4096 * 3);
    const source = open(snapshotFile(image));
    if (source === undefined) throw new Error('expected a headered snapshot');
    expect(source).toMatchObject({ generation: 7, seq: 42, legacy: false });
    expect(source.image.slice(0, image.length)).toBe(source.image);
    // SQLite reads the 100-byte header, then pages; the backup goes forward, others jump.
    const reads: [number, number][] = [
      [0, 100],
      [0, 4096],
      [2 * (1 << 20), 2 * (1 << 20) + 4096],
      [4096, 8192],
      [image.length - 4096, image.length],
      [(1 << 20) - 10, (1 << 20) + 10],
    ];
    for (const [start, end] of reads) {
      expect(Buffer.from(source.image.subarray(start, end))).toEqual(
        Buffer.from(image.subarray(start, end)),
      );
    }
    expect(() => source.verify()).not.toThrow();
    source.close();
  });

  it('refuses an image with one flipped byte, wherever it is and whatever was read', () => {
    const image = pseudoRandomImage(2 * (1 << 20) + 4096);
    for (const at of [0, 1 << 20, image.length - 1]) {
      const path = snapshotFile(image);
      const bytes = readFileSync(path);
      bytes[SNAPSHOT_HEADER_BYTES + at] = (bytes[SNAPSHOT_HEADER_BYTES + at] as number) ^ 0x01;
      writeFileSync(path, bytes);
      const source = open(path);
      if (source === undefined) throw new Error('expected a headered snapshot');
      source.image.subarray(0, 4096);
      expect(() => source.verify()).toThrow(
        expect.objectContaining({
          code: 'storage.snapshot-corrupt',
          message: expect.stringContaining('image checksum mismatch'),
        }),
      );
      source.close();
    }
  });

  it('refuses a cut file when it is opened, before any page is read', () => {
    const path = snapshotFile(pseudoRandomImage(8192));
    truncateSync(path, SNAPSHOT_HEADER_BYTES + 4096);
    expect(() => open(path)).toThrow(
      expect.objectContaining({
        code: 'storage.snapshot-corrupt',
        message: expect.stringContaining('cut or extended file'),
      }),
    );
  });

  it('loads a real database page by page into memory, the same rows as the exported image', async () => {
    const sql = await loadSqlJs();
    const original = new SqlDatabase(sql);
    original.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 3000; i++)
      original.run('INSERT INTO t (body) VALUES (?)', [`row ${i} `.repeat(40)]);
    const image = original.export();
    original.close();
    expect(image.length).toBeGreaterThan(1 << 20);
    const source = open(snapshotFile(image));
    if (source === undefined) throw new Error('expected a headered snapshot');
    const loaded = new SqlDatabase(sql, source.image);
    source.verify();
    source.close();
    expect(loaded.inMemory).toBe(true);
    expect(loaded.get('SELECT count(*) AS n, max(id) AS last FROM t')).toEqual({
      n: 3000,
      last: 3000,
    });
    expect(loaded.get('SELECT body FROM t WHERE id = 1234')).toEqual({
      body: 'row 1233 '.repeat(40),
    });
    loaded.close();
    // The file-backed database (the storage benchmark's baseline) gets the same rows.
    const again = open(snapshotFile(image));
    if (again === undefined) throw new Error('expected a headered snapshot');
    const inFile = new SqlDatabase(sql, again.image, { inFile: true });
    again.verify();
    again.close();
    expect(inFile.inMemory).toBe(false);
    expect(inFile.get('SELECT count(*) AS n FROM t')).toEqual({ n: 3000 });
    inFile.close();
  });
});
