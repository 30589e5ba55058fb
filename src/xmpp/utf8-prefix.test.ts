import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validUtf8PrefixLength } from './utf8-prefix.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('validUtf8PrefixLength', () => {
  it('stops at the first byte of an ill-formed sequence', () => {
    expect(validUtf8PrefixLength(Buffer.from('aé€😀'))).toBe(10);
    expect(validUtf8PrefixLength(bytes(0x61, 0xc3, 0x28))).toBe(1);
    expect(validUtf8PrefixLength(bytes(0x61, 0xff))).toBe(1);
    expect(validUtf8PrefixLength(bytes(0xc0, 0x80))).toBe(0); // overlong
    expect(validUtf8PrefixLength(bytes(0xe0, 0x80, 0x80))).toBe(0); // overlong
    expect(validUtf8PrefixLength(bytes(0x61, 0xed, 0xa0, 0x80))).toBe(1); // surrogate
    expect(validUtf8PrefixLength(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
    expect(validUtf8PrefixLength(bytes(0x61, 0xe2, 0x82))).toBe(1); // cut off
  });

  it('agrees with a strict decoder (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (input) => {
        const n = validUtf8PrefixLength(input);
        expect(() =>
          new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(0, n)),
        ).not.toThrow();
        if (n < input.length)
          expect(() => new TextDecoder('utf-8', { fatal: true }).decode(input)).toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
