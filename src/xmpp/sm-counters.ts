/**
 * The two counters of stream management (XEP-0198 §4) as pure data: the count of stanzas we
 * handled (our `h`, sent in `<a/>` and `<resume/>`), and the queue of stanzas we sent that the
 * server has not acknowledged yet. Both `h` values are unsigned 32-bit and wrap to 0 after
 * 2^32 − 1 (XEP-0198 §4: "MUST wrap around to zero").
 *
 * Invariant of {@link UnackedQueue}: `length === (sent − acked) mod 2^32`, the queue holds
 * exactly the stanzas numbered `acked + 1 … sent`, oldest first.
 */
import { AviaryError } from '../errors.js';

/** `h` values live in [0, 2^32). */
export const H_MODULUS = 2 ** 32;

/** `h + 1` modulo 2^32. */
export function nextH(h: number): number {
  return (h + 1) % H_MODULUS;
}

/** How many steps from `from` to `to`, modulo 2^32 (a count of stanzas between two `h`). */
export function hDistance(from: number, to: number): number {
  return (((to - from) % H_MODULUS) + H_MODULUS) % H_MODULUS;
}

/** Parses an `h` attribute: a decimal integer in [0, 2^32); undefined otherwise. */
export function parseH(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return undefined;
  const h = Number(value);
  return h < H_MODULUS ? h : undefined;
}

/** Our count of handled incoming stanzas. */
export class InboundCounter {
  #h: number;
  constructor(start = 0) {
    this.#h = start;
  }
  get h(): number {
    return this.#h;
  }
  /** One more stanza handled. */
  increment(): void {
    this.#h = nextH(this.#h);
  }
  /** Counting starts again (a new `<enabled/>`). */
  reset(): void {
    this.#h = 0;
  }
}

/**
 * Outgoing stanzas not yet acknowledged, with the outgoing count.
 *
 * @example
 * const q = new UnackedQueue<string>();
 * q.push('m1'); q.push('m2');
 * q.ack(1); // → 1 removed, q.length === 1
 */
export class UnackedQueue<T> {
  #items: T[] = [];
  /** Index of the oldest unacknowledged item in #items (dropped in batches). */
  #head = 0;
  #sent: number;
  #acked: number;

  /** `start`: the count both sides agreed on so far (0 for a new session). */
  constructor(start = 0) {
    this.#sent = start;
    this.#acked = start;
  }

  /** Our outgoing count: stanzas sent since counting (re)started, modulo 2^32. */
  get sent(): number {
    return this.#sent;
  }
  /** The last `h` the server acknowledged. */
  get acked(): number {
    return this.#acked;
  }
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** A stanza was written: it is number `sent + 1`. */
  push(item: T): void {
    this.#items.push(item);
    this.#sent = nextH(this.#sent);
  }

  /**
   * The server handled every stanza up to `h`: they leave the queue; returns how many did.
   * A repeated `h` changes nothing. An `h` outside `acked … sent` (beyond what we sent, or
   * behind an earlier ack: `h` never decreases on an ordered stream) is a protocol error
   * (`xmpp.unexpected`) and changes nothing.
   */
  ack(h: number): number {
    const advance = hDistance(this.#acked, h);
    if (advance === 0) return 0;
    if (advance > this.length)
      throw new AviaryError(
        'xmpp.unexpected',
        `the server acknowledged h=${h}, outside the ${this.length} unacknowledged stanzas after h=${this.#acked}`,
        { details: { h, sent: this.#sent, acked: this.#acked } },
      );
    this.#head += advance;
    this.#acked = h;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return advance;
  }

  /**
   * Takes every unacknowledged item out for resending after `<resumed/>`: the outgoing count
   * goes back to `acked`, so each resent item is counted again under the number the server
   * now expects (XEP-0198 §5).
   */
  takeForResend(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#sent = this.#acked;
    return items;
  }

  /** Starts counting from zero (a new `<enable/>`); returns the items never acknowledged. */
  restart(): T[] {
    const items = this.takeForResend();
    this.#sent = 0;
    this.#acked = 0;
    return items;
  }
}
