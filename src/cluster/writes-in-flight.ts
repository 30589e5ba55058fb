/**
 * The owner writes a node has sent under its shard leases and not yet seen settle.
 *
 * Invariant it serves: a shard's lease is released only once every write made under it has
 * settled. A stopped entity may still have writes queued behind the storage actor's mailbox
 * (its history writer hands rows over without waiting for each commit); released first, the
 * next owner's epoch would fence them, and what the server delivered to this node would be lost.
 */
export class WritesInFlight {
  readonly #byShard = new Map<number, Set<Promise<unknown>>>();

  /** Counts `write` against `shard` until it settles (either way). */
  track(shard: number, write: Promise<unknown>): void {
    let writes = this.#byShard.get(shard);
    if (writes === undefined) {
      writes = new Set();
      this.#byShard.set(shard, writes);
    }
    writes.add(write);
    const done = () => {
      writes.delete(write);
      if (writes.size === 0 && this.#byShard.get(shard) === writes) this.#byShard.delete(shard);
    };
    write.then(done, done);
  }

  /** Writes of `shard` not settled yet. */
  count(shard: number): number {
    return this.#byShard.get(shard)?.size ?? 0;
  }

  /** Resolves once no write of `shards` is in flight, including writes tracked meanwhile. */
  async settled(shards: Iterable<number>): Promise<void> {
    const wanted = [...shards];
    for (;;) {
      const pending = wanted.flatMap((shard) => [...(this.#byShard.get(shard) ?? [])]);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }
}
