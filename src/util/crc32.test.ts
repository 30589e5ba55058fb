import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Update, nativeCrc32Available, portableCrc32 } from './crc32.js';

describe('crc32', () => {
  it('uses zlib.crc32 exactly when the running Node has it', () => {
    expect(nativeCrc32Available).toBe(typeof (zlib as { crc32?: unknown }).crc32 === 'function');
  });

  it('gives the check value of CRC-32/ISO-HDLC and agrees with the portable table on ranges', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    let seed = 7;
    const bytes = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    for (const [start, end] of [
      [0, 4096],
      [0, 0],
      [13, 14],
      [100, 3000],
      [4095, 4096],
    ] as const) {
      expect(crc32(bytes, start, end), `${start}..${end}`).toBe(portableCrc32(bytes, start, end));
    }
  });

  it('the portable table gives the CRC-32/ISO-HDLC check value on its own', () => {
    expect(portableCrc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('chunk by chunk gives the CRC-32 of the whole (check value, and random splits)', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32Update(crc32Update(0, bytes.subarray(0, 4)), bytes.subarray(4))).toBe(0xcbf43926);
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff);
    for (const cut of [0, 1, 1234, 4999, 5000]) {
      const chunked = crc32Update(crc32Update(0, data.subarray(0, cut)), data.subarray(cut));
      expect(chunked).toBe(crc32(data));
      expect(chunked).toBe(portableCrc32(data));
    }
  });
});
