/**
 * A tiny stand-in for the StorageActor mailbox: requests queue up while a batch is being
 * applied; when it finishes, everything queued becomes the next batch (group commit with no
 * timer). Used by the kill -9 writer and the storage benchmark.
 */

import type { StorageOutcome, StorageRequest } from '../../src/storage/messages.js';

export interface StorageDriver {
  ask(request: StorageRequest): Promise<StorageOutcome>;
  /** Sizes of the batches applied so far. */
  readonly batchSizes: number[];
}

/** Anything that applies a batch like `StorageEngine.applyBatch`. */
export interface BatchApplier {
  applyBatch(requests: readonly StorageRequest[]): Promise<StorageOutcome[]>;
}

export function createStorageDriver(deps: { engine: BatchApplier }): StorageDriver {
  const queue: {
    request: StorageRequest;
    resolve: (o: StorageOutcome) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const batchSizes: number[] = [];
  let running = false;
  const pump = async () => {
    if (running) return;
    running = true;
    // Let the writers whose acks were just resolved queue their next request first, as an
    // actor's mailbox would have filled while the previous batch was being committed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      batchSizes.push(batch.length);
      try {
        const outcomes = await deps.engine.applyBatch(batch.map((b) => b.request));
        batch.forEach((b, i) => {
          b.resolve(outcomes[i] as StorageOutcome);
        });
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    running = false;
  };
  return {
    batchSizes,
    ask(request) {
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject });
        void pump();
      });
    },
  };
}
