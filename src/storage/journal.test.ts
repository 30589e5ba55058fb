import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../util/crc32.js';
import { nodeFsOps } from './fs-ops.js';
import { encodeRecord, Journal, type JournalRecord, scanJournal } from './journal.js';

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
});
