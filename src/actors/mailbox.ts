/** Slots a queue starts with, and goes back to once emptied after a burst. */
const INITIAL_SLOTS = 16;

/**
 * A bounded FIFO ring buffer. It never grows past its capacity: the caller decides what to do
 * when `push` reports it is full (reject the sender, or evict the oldest with `shift`). It starts
 * small, doubles up to capacity under a burst, and gives the grown slots back once it is empty
 * again, so an idle actor holds 16 slots whatever burst it took before.
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
    this.#items = new Array(Math.min(capacity, INITIAL_SLOTS));
  }

  get size(): number {
    return this.#size;
  }

  /** Slots held now (grown under a burst, back to the initial few once empty). */
  get slots(): number {
    return this.#items.length;
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
    const initial = Math.min(this.capacity, INITIAL_SLOTS);
    if (this.#size === 0 && this.#items.length > initial) {
      this.#items = new Array(initial);
      this.#head = 0;
    }
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
