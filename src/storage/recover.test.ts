import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../actors/clock.js';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { StorageOutcome, StorageRequest } from './messages.js';
import { recover } from './recover.js';
import { snapshotName } from './snapshot-files.js';
import { SNAPSHOT_HEADER_BYTES } from './snapshot-header.js';
import { loadSqlJs } from './sql-database.js';
import { StorageEngine } from './storage-engine.js';
import { type StorageLog, silentLog } from './storage-log.js';

const dir = () => mkdtempSync(join(tmpdir(), 'aviary-recover-'));
const profile = (name: string): StorageRequest => ({
  type: 'profile.create',
  name,
  jid: `${name}@example.org`,
});

async function names(engine: StorageEngine): Promise<string[]> {
  const [out] = (await engine.applyBatch([{ type: 'profile.list' }])) as StorageOutcome[];
  if (!out?.ok) throw new Error(JSON.stringify(out));
  return (out.value as { name: string }[]).map((p) => p.name).sort();
}

/** A store with two snapshots (current + previous) and writes after each; cleanly stopped. */
async function storeWithHistory(): Promise<{ d: string; current: number; previous: number }> {
  const d = dir();
  const engine = await StorageEngine.open({ dataDir: d });
  await engine.applyBatch([profile('a1')]);
  await engine.snapshotNow();
  await engine.applyBatch([profile('a2')]);
  await engine.snapshotNow();
  await engine.applyBatch([profile('a3')]);
  await engine.close(); // snapshots once more
  const manifest = await readManifest(nodeFsOps, d);
  const current = manifest?.snapshot?.generation as number;
  const previous = manifest?.previous?.generation as number;
  expect(existsSync(join(d, snapshotName(current)))).toBe(true);
  expect(existsSync(join(d, snapshotName(previous)))).toBe(true);
  return { d, current, previous };
}

const listing = (d: string) =>
  Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f)).toString('base64')]));

describe('start-up refuses to roll back silently', () => {
  it('a missing newest snapshot refuses, names the previous good one, and touches nothing', async () => {
    const { d, current, previous } = await storeWithHistory();
    unlinkSync(join(d, snapshotName(current)));
    const before = listing(d);
    const error = await StorageEngine.open({ dataDir: d }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('storage.snapshot-missing');
    expect(error?.message).toContain(`${snapshotName(current)} is missing`);
    expect(error?.message).toContain(`aviary db recover --from ${previous}`);
    expect(listing(d)).toEqual(before);
  });

  it('a flipped byte inside the newest snapshot refuses instead of loading it', async () => {
    const { d, current, previous } = await storeWithHistory();
    const path = join(d, snapshotName(current));
    const bytes = readFileSync(path);
    const at = SNAPSHOT_HEADER_BYTES + Math.floor((bytes.length - SNAPSHOT_HEADER_BYTES) / 2);
    bytes[at] = (bytes[at] as number) ^ 0x10;
    writeFileSync(path, bytes);
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.snapshot-corrupt',
      message: expect.stringContaining(`--from ${previous}`),
    });
  });

  it('a damaged SQLite header in the newest snapshot refuses with the checksum, not a load error', async () => {
    const { d, current, previous } = await storeWithHistory();
    const path = join(d, snapshotName(current));
    const bytes = readFileSync(path);
    // Bytes 16..17 of a SQLite file hold its page size: SQLite cannot copy such an image.
    bytes[SNAPSHOT_HEADER_BYTES + 16] = 0xff;
    bytes[SNAPSHOT_HEADER_BYTES + 17] = 0xff;
    writeFileSync(path, bytes);
    const before = listing(d);
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.snapshot-corrupt',
      message: expect.stringMatching(new RegExp(`image checksum mismatch.*--from ${previous}`)),
    });
    expect(listing(d)).toEqual(before);
  });

  it('db recover --from the previous snapshot keeps every write the journals hold', async () => {
    const { d, current, previous } = await storeWithHistory();
    unlinkSync(join(d, snapshotName(current)));
    const logged: string[] = [];
    const log: StorageLog = (_level, msg) => logged.push(msg);
    let engine = await StorageEngine.open({ dataDir: d, log, recovery: { from: previous } });
    expect(engine.recoveryReport().snapshot).toBe(previous);
    expect(await names(engine)).toEqual(['a1', 'a2', 'a3']);
    await engine.close();
    const manifest = await readManifest(nodeFsOps, d);
    expect(manifest?.snapshot?.generation).toBeGreaterThan(current);
    engine = await StorageEngine.open({ dataDir: d });
    expect(await names(engine)).toEqual(['a1', 'a2', 'a3']);
    await engine.close();
  });

  it('a missing journal refuses; db recover says the writes after it are lost', async () => {
    const { d, current } = await storeWithHistory();
    let engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine.applyBatch([profile('late')]);
    await engine.close();
    unlinkSync(join(d, `journal-${String(current).padStart(8, '0')}.log`));
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.journal-missing',
    });
    engine = await StorageEngine.open({ dataDir: d, recovery: {} });
    expect(engine.recoveryReport().notes.join('\n')).toMatch(/journal-\d+\.log is missing/);
    expect(await names(engine)).toEqual(['a1', 'a2', 'a3']);
    await engine.close();
  });

  it('a corrupt or missing manifest refuses', async () => {
    const { d } = await storeWithHistory();
    const manifest = readFileSync(join(d, MANIFEST_FILE), 'utf8');
    writeFileSync(join(d, MANIFEST_FILE), manifest.replace('"journal":', '"journal":1'));
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.manifest-corrupt',
    });
    rmSync(join(d, MANIFEST_FILE));
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.manifest-missing',
    });
  });

  it('adopts a folder written before headers and manifests, with a log line', async () => {
    const { d, current, previous } = await storeWithHistory();
    // Rewrite as the old format: headerless newest snapshot, no manifest, no fallback.
    const bytes = readFileSync(join(d, snapshotName(current)));
    writeFileSync(join(d, snapshotName(current)), bytes.subarray(SNAPSHOT_HEADER_BYTES));
    rmSync(join(d, MANIFEST_FILE));
    rmSync(join(d, snapshotName(previous)));
    const logged: string[] = [];
    const engine = await StorageEngine.open({
      dataDir: d,
      log: (_level, msg) => logged.push(msg),
    });
    expect(await names(engine)).toEqual(['a1', 'a2', 'a3']);
    expect(logged.some((m) => m.includes('has no header'))).toBe(true);
    await engine.close();
    const manifest = await readManifest(nodeFsOps, d);
    expect(manifest?.snapshot?.generation).toBeGreaterThan(current);
  });

  it('a snapshot that fails on a full disk removes its temp file and keeps the last good state', async () => {
    const d = dir();
    let full = false;
    const fs: FsOps = {
      ...nodeFsOps,
      async openFile(path) {
        const file = await nodeFsOps.openFile(path);
        return {
          ...file,
          write: async (data, position) => {
            if (full && path.endsWith('.db.tmp')) {
              await file.write(data.subarray(0, 100), position);
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            }
            return file.write(data, position);
          },
        };
      },
    };
    let engine = await StorageEngine.open({ dataDir: d, fs, snapshotOnClose: false });
    await engine.applyBatch([profile('b1')]);
    await engine.snapshotNow();
    full = true;
    await engine.applyBatch([profile('b2')]);
    await engine.snapshotNow();
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d });
    expect(await names(engine)).toEqual(['b1', 'b2']);
    await engine.close();
  });

  it('a journal from another generation (files swapped) refuses: sequence numbers do not follow', async () => {
    const d = dir();
    const engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine.applyBatch([profile('s1')]);
    await engine.snapshotNow();
    await engine.applyBatch([profile('s2')]);
    await engine.snapshotNow();
    await engine.applyBatch([profile('s3')]);
    await engine.close();
    const journals = readdirSync(d)
      .filter((f) => f.startsWith('journal-'))
      .sort();
    const older = journals[journals.length - 2] as string;
    const newest = journals[journals.length - 1] as string;
    const olderBytes = readFileSync(join(d, older));
    writeFileSync(join(d, older), readFileSync(join(d, newest)));
    writeFileSync(join(d, newest), olderBytes);
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.journal-corrupt',
      message: expect.stringContaining('starts at record'),
    });
  });

  it('a closed journal cut exactly at a record boundary refuses (its size is sealed in the manifest)', async () => {
    const d = dir();
    let failRename = false;
    const fs: FsOps = {
      ...nodeFsOps,
      rename: async (from, to) => {
        if (failRename && from.endsWith('.db.tmp'))
          throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return nodeFsOps.rename(from, to);
      },
    };
    const engine = await StorageEngine.open({ dataDir: d, fs, snapshotOnClose: false });
    await engine.applyBatch([profile('c1')]);
    await engine.snapshotNow();
    const current = engine.health().generation;
    await engine.applyBatch([profile('c2')]);
    await engine.applyBatch([profile('c3')]);
    failRename = true;
    await engine.snapshotNow(); // closes (seals) the journal holding c2, c3; the snapshot fails
    await engine.applyBatch([profile('c4')]);
    await engine.close();
    const manifest = await readManifest(nodeFsOps, d);
    expect(manifest?.snapshot?.generation).toBe(current);
    expect(manifest?.sealed.map((j) => j.generation)).toContain(current);
    const path = join(d, `journal-${String(current).padStart(8, '0')}.log`);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.readUInt32LE(0) + 8)); // c2 only: still valid
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.journal-corrupt',
      message: expect.stringContaining('acknowledged records are missing'),
    });
  });

  it('an older manifest put back next to newer files refuses as stale', async () => {
    const d = dir();
    const engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine.applyBatch([profile('m1')]);
    await engine.snapshotNow();
    const old = readFileSync(join(d, MANIFEST_FILE));
    await engine.applyBatch([profile('m2')]);
    await engine.snapshotNow();
    await engine.applyBatch([profile('m3')]);
    await engine.snapshotNow();
    await engine.close();
    writeFileSync(join(d, MANIFEST_FILE), old);
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.manifest-stale',
    });
  });

  it('read-only (db check, db status, db copy): the zeros a crashed writer left are no loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-recover-zeros-'));
    const writer = await StorageEngine.open({ dataDir: dir, snapshotOnClose: false });
    await writer.applyBatch([{ type: 'profile.create', name: 'carol', jid: 'carol@example.org' }]);
    // Not closed: like a killed process, the journal keeps its zeros past the last record.
    const { db, report } = await recover({
      fs: nodeFsOps,
      dir,
      sql: await loadSqlJs(),
      clock: systemClock,
      log: silentLog,
      readOnly: true,
    });
    expect(report.journals).toEqual([{ generation: 1, records: 1 }]);
    expect(report.dropped).toEqual([]);
    db.close();
    await writer.close();
  });
});
