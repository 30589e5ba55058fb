import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../util/crc32.js';
import { nodeFsOps } from './fs-ops.js';
import {
  encodeRecord,
  JOURNAL_EXTENT,
  Journal,
  type JournalRecord,
  scanJournal,
} from './journal.js';

const rec = (seq: number): JournalRecord => ({
  seq,
  statements: [['INSERT INTO t (a, b) VALUES (?, ?)', [seq, `value ${seq}`]]],
});
const image = (n: number) => {
  const parts = Array.from({ length: n }, (_, i) => encodeRecord(rec(i + 1)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { out, lengths: parts.map((p) => p.length) };
};

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('scanJournal', () => {
  it('reads every valid record', () => {
    const { out } = image(5);
    const scan = scanJournal(out);
    expect(scan.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(scan.records[2]?.statements[0]?.[1]).toEqual([3, 'value 3']);
    expect(scan.validBytes).toBe(out.length);
  });

  it('drops a record cut mid-way (torn tail)', () => {
    const { out, lengths } = image(3);
    for (const cut of [1, 7, 9, (lengths[2] as number) - 1]) {
      const scan = scanJournal(out.subarray(0, out.length - cut));
      expect(scan.records.length).toBe(2);
      expect(scan.validBytes).toBe(out.length - (lengths[2] as number));
    }
  });

  it('drops a last record whose CRC fails, and trailing zeroes', () => {
    const { out, lengths } = image(3);
    const bad = out.slice();
    bad[out.length - 2] = (bad[out.length - 2] as number) ^ 1;
    expect(scanJournal(bad).records.length).toBe(2);
    const zeroes = new Uint8Array(out.length + 64);
    zeroes.set(out);
    expect(scanJournal(zeroes).validBytes).toBe(out.length);
    expect(lengths.length).toBe(3);
  });

  it('a bad record followed by valid ones is corruption', () => {
    const { out, lengths } = image(4);
    const payloadFlip = out.slice();
    const at = (lengths[0] as number) + 12;
    payloadFlip[at] = (payloadFlip[at] as number) ^ 0x20;
    expect(() => scanJournal(payloadFlip)).toThrow(/followed by a valid record/);
    const lengthFlip = out.slice();
    lengthFlip[lengths[0] as number] = 0xff;
    expect(() => scanJournal(lengthFlip)).toThrow(
      expect.objectContaining({ code: 'storage.journal-corrupt' }),
    );
  });
});

describe('Journal', () => {
  it('truncates a torn tail on open, fsyncs it and keeps appending after it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const { out, lengths } = image(3);
    writeFileSync(path, out.subarray(0, out.length - 4));
    const logged: { level: string; msg: string; fields: unknown }[] = [];
    const { journal, records } = await Journal.open({
      fs: nodeFsOps,
      path,
      log: (level, msg, fields) => logged.push({ level, msg, fields }),
    });
    expect(records.length).toBe(2);
    // The dropped record is logged with its position and why it was dropped.
    const kept = out.length - (lengths[2] as number);
    expect(logged).toEqual([
      {
        level: 'warn',
        msg: 'journal: dropped a torn or damaged last record',
        fields: {
          file: path,
          offset: kept,
          droppedBytes: (lengths[2] as number) - 4,
          reason: expect.stringContaining('record cut'),
          lastKeptSeq: 2,
        },
      },
    ]);
    expect(statSync(path).size).toBe(out.length - (lengths[2] as number));
    await journal.append(rec(3));
    await journal.close();
    expect(scanJournal(new Uint8Array(readFileSync(path))).records.map((r) => r.seq)).toEqual([
      1, 2, 3,
    ]);
  });

  it('logs a last record with a flipped byte as dropped, with its offset and the reason', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const { out, lengths } = image(3);
    const flipped = new Uint8Array(out);
    flipped[out.length - 2] = (flipped[out.length - 2] as number) ^ 0x01;
    writeFileSync(path, flipped);
    const logged: { msg: string; fields: unknown }[] = [];
    const { journal, records, dropped } = await Journal.open({
      fs: nodeFsOps,
      path,
      log: (_level, msg, fields) => logged.push({ msg, fields }),
    });
    await journal.close();
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
    expect(dropped).toMatchObject({
      offset: out.length - (lengths[2] as number),
      reason: 'checksum mismatch',
      lastKeptSeq: 2,
    });
    expect(logged).toEqual([{ msg: expect.stringContaining('dropped'), fields: dropped }]);
  });

  it('salvage keeps the valid prefix of a corrupt journal and a copy of the original', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const { out, lengths } = image(3);
    const flipped = new Uint8Array(out);
    const second = (lengths[0] as number) + 10;
    flipped[second] = (flipped[second] as number) ^ 0xff;
    writeFileSync(path, flipped);
    await expect(Journal.open({ fs: nodeFsOps, path, log: () => undefined })).rejects.toMatchObject(
      {
        code: 'storage.journal-corrupt',
      },
    );
    const { journal, records, dropped } = await Journal.open({
      fs: nodeFsOps,
      path,
      log: () => undefined,
      salvage: true,
    });
    await journal.close();
    expect(records.map((r) => r.seq)).toEqual([1]);
    expect(String(dropped?.reason)).toContain('corruption');
    expect(new Uint8Array(readFileSync(`${path}.damaged`))).toEqual(flipped);
  });

  it('grows in preallocated extents of zeros, reuses them after a crash and cuts them at close', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const logged: string[] = [];
    const log = (_level: string, msg: string) => logged.push(msg);
    const first = await Journal.open({ fs: nodeFsOps, path, log });
    await first.journal.append(rec(1));
    await first.journal.append(rec(2));
    const records = first.journal.size;
    // Durable on disk: the records, then zeros up to one extent past the first record.
    expect(statSync(path).size).toBe(encodeRecord(rec(1)).length + JOURNAL_EXTENT);
    const scan = scanJournal(new Uint8Array(readFileSync(path)));
    expect(scan.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(scan.validBytes).toBe(records);
    expect(scan.padding).toBe(true);

    // A process that dies leaves the zeros: the next open keeps them, drops nothing and logs
    // nothing, and appends into them.
    const second = await Journal.open({ fs: nodeFsOps, path, log });
    expect(second.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(second.dropped).toBeUndefined();
    expect(logged).toEqual([]);
    await second.journal.append(rec(3));
    expect(statSync(path).size).toBe(encodeRecord(rec(1)).length + JOURNAL_EXTENT);
    await second.journal.close();
    // Closed: only the records are left.
    expect(statSync(path).size).toBe(second.journal.size);
    expect(scanJournal(new Uint8Array(readFileSync(path))).records.map((r) => r.seq)).toEqual([
      1, 2, 3,
    ]);
    await first.journal.close();
  });

  it('a record torn inside the preallocated space is dropped, not taken for padding', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const { out, lengths } = image(3);
    const file = new Uint8Array(out.length + 4096);
    file.set(out.subarray(0, out.length - 5));
    writeFileSync(path, file);
    const { journal, records, dropped } = await Journal.open({
      fs: nodeFsOps,
      path,
      log: () => undefined,
    });
    await journal.close();
    expect(records.map((r) => r.seq)).toEqual([1, 2]);
    expect(dropped).toMatchObject({ offset: out.length - (lengths[2] as number) });
    expect(statSync(path).size).toBe(out.length - (lengths[2] as number));
  });

  it('runs whileSyncing once per append, after the write and before the append settles', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aviary-journal-')), 'journal.log');
    const steps: string[] = [];
    const fs = {
      ...nodeFsOps,
      async openFile(p: string) {
        const file = await nodeFsOps.openFile(p);
        return {
          ...file,
          write: async (data: Uint8Array, position: number) => {
            steps.push('write');
            await file.write(data, position);
          },
          datasync: async () => {
            steps.push('datasync');
            await file.datasync();
            steps.push('synced');
          },
        };
      },
    };
    const { journal } = await Journal.open({ fs, path, log: () => undefined });
    journal.setExtent(0);
    await journal.append(rec(1), () => steps.push('whileSyncing'));
    steps.push('acknowledged');
    await journal.close();
    expect(steps).toEqual(['write', 'datasync', 'whileSyncing', 'synced', 'acknowledged']);
    expect(statSync(path).size).toBe(encodeRecord(rec(1)).length);
  });
});
