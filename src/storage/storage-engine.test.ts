import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'sql.js';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../actors/clock.js';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import type { StorageOutcome, StorageRequest } from './messages.js';
import { loadSqlJs } from './sql-database.js';
import { StorageEngine } from './storage-engine.js';

const dir = () => mkdtempSync(join(tmpdir(), 'aviary-storage-'));
const value = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(`not ok: ${JSON.stringify(o)}`);
  return o.value as never;
};
const profile: StorageRequest = { type: 'profile.create', name: 'alice', jid: 'alice@example.org' };
const msg = (
  uid: string,
  body: string,
  ts: number,
  extra: Partial<StorageRequest> = {},
): StorageRequest =>
  ({
    type: 'history.add',
    profile: 'alice',
    uid,
    from: 'alice@example.org/pc',
    to: 'bob@example.org',
    messageType: 'chat',
    timestamp: ts,
    messages: { '': body },
    ...extra,
  }) as StorageRequest;

/** Node's filesystem whose `fdatasync` fails with EIO while `failing` is set. */
function failingSync(): { fs: FsOps; failing: boolean } {
  const state = { failing: false, fs: nodeFsOps };
  state.fs = {
    ...nodeFsOps,
    async openFile(path) {
      const file = await nodeFsOps.openFile(path);
      return {
        ...file,
        datasync: async () => {
          if (state.failing) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
          return file.datasync();
        },
      };
    },
  };
  return state;
}

describe('StorageEngine', () => {
  it('recovers from journal replay and snapshot identically; torn tail dropped; middle corruption stops start-up', async () => {
    const d = dir();
    let engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    await engine.applyBatch([profile]);
    for (let i = 0; i < 20; i++) await engine.applyBatch([msg(`m${i}`, `body ${i}`, i)]);
    await engine.close();
    const journal = readdirSync(d).find((f) => f.startsWith('journal-')) as string;
    const size = statSync(join(d, journal)).size;
    truncateSync(join(d, journal), size - 5); // torn tail: last record loses 5 bytes
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    const [q] = await engine.applyBatch([{ type: 'history.query', profile: 'alice' }]);
    expect((value(q) as unknown[]).length).toBe(19);
    await engine.snapshotNow();
    await engine.applyBatch([msg('after', 'x', 100)]);
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    const [q2] = await engine.applyBatch([{ type: 'history.query', profile: 'alice' }]);
    expect((value(q2) as unknown[]).length).toBe(20);
    for (let i = 0; i < 3; i++) await engine.applyBatch([msg(`c${i}`, 'y', 200 + i)]);
    await engine.close();
    // The newest journal is the one replayed (the previous generation's is kept as fallback).
    const j = join(
      d,
      readdirSync(d)
        .filter((f) => f.startsWith('journal-'))
        .sort()
        .pop() as string,
    );
    const bytes = readFileSync(j);
    bytes[20] = (bytes[20] as number) ^ 0xff; // flip a payload byte of the first record
    writeFileSync(j, bytes);
    await expect(StorageEngine.open({ dataDir: d })).rejects.toMatchObject({
      code: 'storage.journal-corrupt',
    });
  });

  it('a failing journal write acknowledges nothing, turns health red, and recovers', async () => {
    const d = dir();
    let failing = false;
    const fs: FsOps = {
      ...nodeFsOps,
      async openFile(path) {
        const file = await nodeFsOps.openFile(path);
        return {
          ...file,
          write: async (data, pos) => {
            if (failing) {
              await file.write(data.subarray(0, 3), pos);
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            }
            return file.write(data, pos);
          },
        };
      },
    };
    let engine = await StorageEngine.open({ dataDir: d, fs, snapshotOnClose: false });
    await engine.applyBatch([profile]);
    failing = true;
    const out = await engine.applyBatch([
      msg('lost', 'x', 1),
      { type: 'history.query', profile: 'alice' },
    ]);
    expect(out[0]).toMatchObject({ ok: false, error: { code: 'storage.journal-write-failed' } });
    expect(value(out[1])).toEqual([]); // the read after the failed write sees rolled-back state
    expect(engine.health().ok).toBe(false);
    failing = false;
    const ok = await engine.applyBatch([msg('kept', 'y', 2)]);
    expect(ok[0]?.ok).toBe(true);
    expect(engine.health().ok).toBe(true);
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d });
    const [q] = await engine.applyBatch([{ type: 'history.query', profile: 'alice' }]);
    expect((value(q) as { uid: string }[]).map((m) => m.uid)).toEqual(['kept']);
    await engine.close();
  });

  it('snapshots by journal size and by time, cutting the journal; replay after a crash between rename and journal reset is idempotent', async () => {
    const d = dir();
    const clock = new SimulatedClock(0);
    let engine = await StorageEngine.open({
      dataDir: d,
      clock,
      snapshotOnClose: false,
      snapshot: { maxJournalBytes: 4096, maxIntervalMs: 60_000 },
    });
    await engine.applyBatch([profile]);
    const before = engine.health().generation;
    for (let i = 0; i < 40; i++) await engine.applyBatch([msg(`s${i}`, 'z'.repeat(100), i)]);
    await engine.snapshotNow(); // waits for any background snapshot, then cuts another
    expect(engine.health().generation).toBeGreaterThan(before + 1);
    expect(engine.stats().snapshots).toBeGreaterThan(1);
    const files = readdirSync(d)
      .filter((f) => !f.endsWith('.tmp'))
      .sort();
    // The current snapshot plus the previous one (the fallback), and the journals from the
    // previous one on.
    const snapshotGens = files
      .filter((f) => f.startsWith('snapshot-'))
      .map((f) => Number(f.slice(9, 17)));
    expect(snapshotGens.length).toBe(2);
    const journalGens = files
      .filter((f) => f.startsWith('journal-'))
      .map((f) => Number(f.slice(8, 16)));
    expect(journalGens[0]).toBe(snapshotGens[0]);
    expect(journalGens[journalGens.length - 1]).toBe(engine.health().generation);
    // Time policy: a small journal is snapshotted once maxIntervalMs has passed.
    const generation = engine.health().generation;
    await engine.applyBatch([msg('t1', 'a', 100)]);
    expect(engine.health().generation).toBe(generation);
    await clock.advance(61_000);
    await engine.applyBatch([msg('t2', 'b', 101)]);
    // The snapshot starts right after the batch that made it due (its replies do not wait):
    // the next batch runs after the cut.
    await engine.applyBatch([{ type: 'profile.list' }]);
    expect(engine.health().generation).toBe(generation + 1);
    // A non-idempotent write (a second replay would hit the unique profile name).
    await engine.applyBatch([{ type: 'profile.create', name: 'carol', jid: 'carol@example.org' }]);
    const cut = join(d, `journal-${String(engine.health().generation).padStart(8, '0')}.log`);
    copyFileSync(cut, `${cut}.saved`);
    await engine.snapshotNow();
    await engine.applyBatch([msg('t3', 'c', 102)]);
    await engine.close();
    // Crash right after the snapshot's rename: the journal it covers is still there.
    copyFileSync(`${cut}.saved`, cut);
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    const [q] = await engine.applyBatch([{ type: 'history.query', profile: 'alice' }]);
    const uids = (value(q) as { uid: string }[]).map((m) => m.uid);
    expect(uids.length).toBe(43);
    expect(new Set(uids).size).toBe(43);
    // The journals of the current snapshot and of the previous one (the fallback).
    expect(readdirSync(d).filter((f) => f.endsWith('.log')).length).toBe(2);
    await engine.close();
  });

  it('an fdatasync failure is not acknowledged and a failed snapshot keeps the journals', async () => {
    const d = dir();
    const sync = failingSync();
    let failRename = false;
    const fs: FsOps = {
      ...sync.fs,
      rename: async (from, to) => {
        if (failRename)
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return nodeFsOps.rename(from, to);
      },
    };
    let engine = await StorageEngine.open({ dataDir: d, fs, snapshotOnClose: false });
    await engine.applyBatch([profile, msg('a', 'x', 1)]);
    sync.failing = true;
    const [lost] = await engine.applyBatch([msg('b', 'y', 2)]);
    expect(lost).toMatchObject({ ok: false, error: { code: 'storage.journal-write-failed' } });
    expect(engine.health()).toMatchObject({ ok: false, reason: expect.stringContaining('EIO') });
    sync.failing = false;
    failRename = true;
    const snapshots = () =>
      readdirSync(d).filter((f) => f.startsWith('snapshot-') && f.endsWith('.db'));
    const before = snapshots();
    await engine.snapshotNow(); // logged, not thrown: the journals stay the source of truth
    expect(snapshots()).toEqual(before);
    expect(readdirSync(d).filter((f) => f.endsWith('.log')).length).toBe(2);
    await engine.applyBatch([msg('c', 'z', 3)]);
    failRename = false;
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    const [q] = await engine.applyBatch([
      { type: 'history.query', profile: 'alice', order: 'asc' },
    ]);
    expect((value(q) as { uid: string }[]).map((m) => m.uid)).toEqual(['a', 'c']);
    await engine.close();
  });

  it('search finds each message once its add is acknowledged (catch-up while syncing), not one whose fdatasync failed, and the same after replay', async () => {
    const d = dir();
    const sync = failingSync();
    const { fs } = sync;
    const found = async (engine: StorageEngine, word: string) => {
      const [q] = await engine.applyBatch([
        { type: 'history.query', profile: 'alice', search: word, order: 'asc' },
      ]);
      return (value(q) as { uid: string }[]).map((m) => m.uid);
    };
    let engine = await StorageEngine.open({ dataDir: d, fs, snapshotOnClose: false });
    await engine.applyBatch([profile]);
    for (let batch = 0; batch < 4; batch++) {
      const adds = [0, 1, 2].map((k) => msg(`m${batch}${k}`, `word${batch}x${k} common`, batch));
      expect((await engine.applyBatch(adds)).every((o) => o.ok)).toBe(true);
      for (const k of [0, 1, 2])
        expect(await found(engine, `word${batch}x${k}`)).toEqual([`m${batch}${k}`]);
    }
    sync.failing = true;
    const [lost] = await engine.applyBatch([msg('lost', 'wordlost common', 9)]);
    expect(lost).toMatchObject({ ok: false, error: { code: 'storage.journal-write-failed' } });
    sync.failing = false;
    expect(await found(engine, 'wordlost')).toEqual([]);
    await engine.applyBatch([msg('after', 'wordafter common', 10)]);
    expect(await found(engine, 'wordafter')).toEqual(['after']);
    const all = await found(engine, 'common');
    expect(all).toHaveLength(13);
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    expect(await found(engine, 'common')).toEqual(all);
    expect(await found(engine, 'wordlost')).toEqual([]);
    await engine.close();
  });

  it('a catch-up failing after its record is durable fails the batch, refuses writes until a restart, and the restart replays it', async () => {
    const d = dir();
    const sqlJs = await loadSqlJs();
    // The failure is injected where SQLite would raise it: preparing the catch-up's insert.
    const prepare = sqlJs.Database.prototype.prepare;
    let failing = false;
    sqlJs.Database.prototype.prepare = function (this: Database, sql: string, params?: never) {
      if (failing && sql.startsWith('INSERT INTO message_fts'))
        throw new Error('injected: out of memory');
      return prepare.call(this, sql, params);
    };
    try {
      let engine = await StorageEngine.open({ dataDir: d, sqlJs, snapshotOnClose: false });
      await engine.applyBatch([profile]);
      failing = true;
      const [first] = await engine.applyBatch([msg('durable', 'journaled words', 1)]);
      expect(first).toMatchObject({ ok: false, error: { code: 'storage.batch-failed' } });
      expect(engine.health()).toMatchObject({
        ok: false,
        reason: expect.stringContaining('restart'),
      });
      failing = false;
      const [refused, read] = await engine.applyBatch([
        msg('later', 'more words', 2),
        { type: 'history.query', profile: 'alice' },
      ]);
      expect(refused).toMatchObject({ ok: false, error: { code: 'storage.batch-failed' } });
      expect(value(read)).toEqual([]);
      await engine.close();
      // The record was durable: the restart replays it, catch-up included.
      engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
      const [q] = await engine.applyBatch([
        { type: 'history.query', profile: 'alice', search: 'journaled' },
      ]);
      expect((value(q) as { uid: string }[]).map((m) => m.uid)).toEqual(['durable']);
      expect(engine.health().ok).toBe(true);
      await engine.close();
    } finally {
      sqlJs.Database.prototype.prepare = prepare;
    }
  });
});
