import { describe, expect, it } from 'vitest';
import { Utf8StreamDecoder } from './utf8-stream-decoder.js';

/** What a fatal streaming TextDecoder makes of the same chunks: texts, or 'refused'. */
function reference(chunks: readonly Uint8Array[]): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const out: string[] = [];
  for (const chunk of chunks) {
    try {
      out.push(decoder.decode(chunk, { stream: true }));
    } catch {
      out.push('refused');
      break;
    }
  }
  return out;
}

function ours(chunks: readonly Uint8Array[]): string[] {
  const decoder = new Utf8StreamDecoder();
  const out: string[] = [];
  for (const chunk of chunks) {
    const text = decoder.decode(chunk);
    if (text === undefined) {
      out.push('refused');
      break;
    }
    out.push(text);
  }
  return out;
}

const split = (bytes: Uint8Array, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
    bytes.subarray(i * size, (i + 1) * size),
  );

describe('Utf8StreamDecoder', () => {
  const text = Buffer.from('a é € 😀 \u{10ffff} \ud7ff z', 'utf8');

  it('decodes characters cut anywhere, like a fatal streaming TextDecoder', () => {
    for (const size of [1, 2, 3, 5, 7, text.length])
      expect(ours(split(text, size)).join('')).toBe(text.toString('utf8'));
  });

  it('refuses what TextDecoder refuses, at the same chunk, cut or not', () => {
    const bad = [
      [0xff],
      [0xc0, 0x80], // overlong
      [0xe0, 0x80], // overlong, cut
      [0xed, 0xa0], // surrogate, cut
      [0xf4, 0x90], // above U+10FFFF, cut
      [0xf5],
      [0x80],
      [0xe2, 0x28],
    ];
    for (const sequence of bad)
      for (const size of [1, 2, 3]) {
        const chunks = split(Buffer.from([0x61, ...sequence, 0x62]), size);
        expect({ sequence, size, out: ours(chunks) }).toEqual({
          sequence,
          size,
          out: reference(chunks),
        });
      }
  });

  it('keeps the well-formed text before a bad byte, and starts clean after reset()', () => {
    const decoder = new Utf8StreamDecoder();
    expect(decoder.decode(Buffer.from([0x61, 0xc3]))).toBe('a');
    expect(decoder.decode(Buffer.from([0xa9, 0x62, 0xff, 0x63]))).toBeUndefined();
    expect(decoder.validPrefix).toBe('éb');
    decoder.reset();
    expect(decoder.decode(Buffer.from([0xa9]))).toBeUndefined();
    decoder.reset();
    expect(decoder.decode(Buffer.from('ok'))).toBe('ok');
  });
});
