import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import {
  H_MODULUS,
  hDistance,
  InboundCounter,
  nextH,
  parseH,
  UnackedQueue,
} from './sm-counters.js';

describe('h arithmetic (mod 2^32)', () => {
  it('wraps to zero after 2^32 - 1', () => {
    expect(nextH(H_MODULUS - 1)).toBe(0);
    expect(nextH(41)).toBe(42);
    expect(hDistance(H_MODULUS - 2, 3)).toBe(5);
    expect(hDistance(7, 7)).toBe(0);
  });

  it('parses only decimal integers below 2^32', () => {
    expect(parseH('0')).toBe(0);
    expect(parseH('4294967295')).toBe(H_MODULUS - 1);
    for (const bad of ['4294967296', '-1', '1.5', '', ' 3', '0x10', undefined, 12])
      expect(parseH(bad)).toBeUndefined();
  });

  it('the inbound counter wraps and resets', () => {
    const counter = new InboundCounter(H_MODULUS - 2);
    counter.increment();
    counter.increment();
    expect(counter.h).toBe(0);
    counter.increment();
    expect(counter.h).toBe(1);
    counter.reset();
    expect(counter.h).toBe(0);
  });
});

describe('UnackedQueue', () => {
  it('keeps exactly the stanzas after the last ack, oldest first', () => {
    const q = new UnackedQueue<string>();
    for (let i = 1; i <= 5; i++) q.push(`m${i}`);
    expect(q.sent).toBe(5);
    expect(q.ack(2)).toBe(2);
    expect(q.length).toBe(3);
    expect(q.ack(2)).toBe(0); // a repeated ack changes nothing
    expect(q.ack(5)).toBe(3);
    expect(q.length).toBe(0);
    expect(q.acked).toBe(5);
  });

  it('refuses an h beyond what was sent, and one behind the last ack, changing nothing', () => {
    const q = new UnackedQueue<string>();
    q.push('a');
    q.push('b');
    q.ack(1);
    for (const h of [3, 0]) {
      let error: unknown;
      try {
        q.ack(h);
      } catch (e) {
        error = e;
      }
      expect(isAviaryError(error, 'xmpp.unexpected')).toBe(true);
    }
    expect(q.length).toBe(1);
    expect(q.acked).toBe(1);
    expect(q.takeForResend()).toEqual(['b']);
  });

  it('counts and acks across the 2^32 wrap', () => {
    const q = new UnackedQueue<string>(H_MODULUS - 2);
    for (const m of ['a', 'b', 'c', 'd']) q.push(m);
    expect(q.sent).toBe(2);
    expect(q.length).toBe(4);
    expect(q.ack(H_MODULUS - 1)).toBe(1);
    expect(q.ack(1)).toBe(2);
    expect(q.takeForResend()).toEqual(['d']);
    expect(q.sent).toBe(1);
  });

  it('resending after a resume renumbers from the acked h', () => {
    const q = new UnackedQueue<string>();
    for (const m of ['a', 'b', 'c', 'd']) q.push(m);
    q.ack(1);
    const again = q.takeForResend();
    expect(again).toEqual(['b', 'c', 'd']);
    expect(q.sent).toBe(1);
    for (const m of again) q.push(m);
    expect(q.sent).toBe(4);
    expect(q.ack(4)).toBe(3);
  });

  it('a restart (new session) hands back the unacked stanzas and counts from zero', () => {
    const q = new UnackedQueue<string>();
    for (const m of ['a', 'b', 'c']) q.push(m);
    q.ack(2);
    expect(q.restart()).toEqual(['c']);
    expect(q.sent).toBe(0);
    expect(q.acked).toBe(0);
    q.push('x');
    expect(q.ack(1)).toBe(1);
  });

  it('stays consistent over many acks (compaction of the backing array)', () => {
    const q = new UnackedQueue<number>();
    let next = 0;
    let acked = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      acked += 90;
      q.ack(acked);
      expect(q.length).toBe(next - acked);
    }
    expect(q.takeForResend()).toEqual(Array.from({ length: next - acked }, (_, i) => acked + i));
  });
});
