/**
 * Strict streaming UTF-8 decoding (RFC 3629; RFC 6120 §11.6 makes anything else a stream
 * error) without an ICU converter: what a fatal `TextDecoder` with `{ stream: true }` does,
 * built on `buffer.isUtf8` (simdutf) and `Buffer#toString`. A connection decodes three streams
 * per login (opening, after STARTTLS, after SASL); a `TextDecoder` each, with its native
 * converter and finaliser, was a measurable part of a login's CPU and garbage collection.
 *
 * Invariants: the text returned ends on a character boundary; a character cut at the end of a
 * chunk is kept (at most 3 bytes) for the next one; bytes that cannot begin or continue
 * well-formed UTF-8 are refused as soon as they arrive, cut or not.
 */
import { isUtf8 } from 'node:buffer';
import { validUtf8PrefixLength } from './utf8-prefix.js';

export class Utf8StreamDecoder {
  #carry: Buffer | undefined;
  /** After `decode` returned undefined: the text of the well-formed bytes before the bad one. */
  validPrefix = '';

  /** Forgets a cut character (a new stream). */
  reset(): void {
    this.#carry = undefined;
    this.validPrefix = '';
  }

  /** The text of `chunk`'s complete characters, or undefined when it is not well-formed. */
  decode(chunk: Uint8Array): string | undefined {
    const carry = this.#carry;
    const bytes =
      carry === undefined
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([carry, chunk]);
    this.#carry = undefined;
    if (isUtf8(bytes)) return bytes.toString('utf8');
    const valid = validUtf8PrefixLength(bytes);
    if (isCutCharacter(bytes, valid)) {
      this.#carry = Buffer.from(bytes.subarray(valid));
      return bytes.toString('utf8', 0, valid);
    }
    this.validPrefix = bytes.toString('utf8', 0, valid);
    return undefined;
  }
}

/** True when `bytes[from..]` is the well-formed beginning of one character, cut short. */
function isCutCharacter(bytes: Uint8Array, from: number): boolean {
  const rest = bytes.length - from;
  const lead = bytes[from] as number;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return false;
  if (rest >= length) return false;
  for (let k = 1; k < rest; k++) {
    const next = bytes[from + k] as number;
    if (k === 1 ? next < low || next > high : next < 0x80 || next > 0xbf) return false;
  }
  return true;
}
