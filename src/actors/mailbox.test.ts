import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './mailbox.js';

describe('BoundedQueue', () => {
  it('keeps FIFO order across growth and wrap-around, and refuses past capacity', () => {
    const queue = new BoundedQueue<number>(40);
    for (let i = 0; i < 10; i++) queue.push(i);
    expect(queue.drain(5)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 10; i < 45; i++) queue.push(i);
    expect(queue.size).toBe(40);
    expect(queue.push(99)).toBe(false);
    expect(queue.drain()).toEqual(Array.from({ length: 40 }, (_, k) => k + 5));
  });

  it('gives the grown slots back once emptied, and grows again under the next burst', () => {
    const queue = new BoundedQueue<number>(1000);
    expect(queue.slots).toBe(16);
    for (let i = 0; i < 300; i++) queue.push(i);
    expect(queue.slots).toBeGreaterThanOrEqual(300);
    expect(queue.drain(299)).toHaveLength(299);
    expect(queue.slots).toBeGreaterThanOrEqual(300);
    expect(queue.shift()).toBe(299);
    expect(queue.slots).toBe(16);
    for (let i = 0; i < 20; i++) queue.push(i);
    expect(queue.drain()).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(queue.slots).toBe(16);
  });

  it('keeps system messages pushed past capacity, in order', () => {
    const queue = new BoundedQueue<string>(2);
    queue.push('a');
    queue.push('b');
    queue.pushUnbounded('stop');
    expect(queue.size).toBe(3);
    expect(queue.drain()).toEqual(['a', 'b', 'stop']);
    expect(queue.slots).toBe(2);
  });
});
