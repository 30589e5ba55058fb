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
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
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
