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
import { utf8Sequence, validUtf8PrefixLength } from './utf8-prefix.js';

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
  const sequence = utf8Sequence(bytes[from] as number);
  if (sequence === undefined) return false;
  const { length, low, high } = sequence;
  if (rest >= length) return false;
  for (let k = 1; k < rest; k++) {
    const next = bytes[from + k] as number;
    if (k === 1 ? next < low || next > high : next < 0x80 || next > 0xbf) return false;
  }
  return true;
}
