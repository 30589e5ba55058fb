import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
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
    const logged: string[] = [];
    const { journal, records } = await Journal.open({
      fs: nodeFsOps,
      path,
      log: (_l, msg) => logged.push(msg),
    });
    expect(records.length).toBe(2);
    expect(logged).toEqual(['journal: dropped torn tail']);
    expect(statSync(path).size).toBe(out.length - (lengths[2] as number));
    await journal.append(rec(3));
    await journal.close();
    expect(scanJournal(new Uint8Array(readFileSync(path))).records.map((r) => r.seq)).toEqual([
      1, 2, 3,
    ]);
  });
});
