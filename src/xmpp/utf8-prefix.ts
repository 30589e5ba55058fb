/**
 * Length of the longest prefix of `bytes` that is well-formed UTF-8 (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF). A sequence cut off at the end
 * counts as invalid. Used only after a strict decoder refused a chunk, to keep what came
 * before the bad byte.
 *
 * @example
 * validUtf8PrefixLength(Buffer.from([0x61, 0xc3, 0x28])); // 1
 */
export function validUtf8PrefixLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    const sequence = utf8Sequence(b);
    if (sequence === undefined) return i;
    const { length, low, high } = sequence;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1] as number;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k] as number;
      if (next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return i;
}

/**
 * What a UTF-8 lead byte announces (RFC 3629 §4): the sequence's length and the range of its
 * second byte (narrower after E0, ED, F0 and F4: no overlong forms, no surrogates, nothing above
 * U+10FFFF); undefined for a byte that cannot start a multi-byte sequence.
 */
export function utf8Sequence(
  lead: number,
): { readonly length: number; readonly low: number; readonly high: number } | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, low: 0x80, high: 0xbf };
  if (lead >= 0xe0 && lead <= 0xef)
    return { length: 3, low: lead === 0xe0 ? 0xa0 : 0x80, high: lead === 0xed ? 0x9f : 0xbf };
  if (lead >= 0xf0 && lead <= 0xf4)
    return { length: 4, low: lead === 0xf0 ? 0x90 : 0x80, high: lead === 0xf4 ? 0x8f : 0xbf };
  return undefined;
}
