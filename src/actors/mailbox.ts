/**
 * A bounded FIFO ring buffer. It never grows past its capacity: the caller decides what to do
 * when `push` reports it is full (reject the sender, or evict the oldest with `shift`).
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    // Start small and double up to capacity: idle actors with large bounds stay cheap.
    this.#items = new Array(Math.min(capacity, 16));
  }

  get size(): number {
    return this.#size;
  }

  /** Appends `item`; returns false (and changes nothing) when the queue is full. */
  push(item: T): boolean {
    if (this.#size >= this.capacity) return false;
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
    return true;
  }

  /** Appends even past capacity (system messages only: they must never be lost). */
  pushUnbounded(item: T): void {
    if (this.#size === this.#items.length) this.#grow(true);
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }

  /** Removes and returns everything queued, oldest first. */
  drain(max = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    while (this.#size > 0 && out.length < max) out.push(this.shift() as T);
    return out;
  }

  #grow(unbounded = false): void {
    const length = this.#items.length;
    const next = unbounded ? length * 2 : Math.min(this.capacity, length * 2);
    const items = new Array<T | undefined>(Math.max(next, length + 1));
    for (let i = 0; i < this.#size; i++) items[i] = this.#items[(this.#head + i) % length];
    this.#items = items;
    this.#head = 0;
  }
}
