/**
 * One entity's port to history. Writes are pipelined: each is handed to storage in order (the
 * storage actor's mailbox keeps that order and commits in groups) and the entity goes on to its
 * next message instead of waiting for a commit per message.
 *
 * Contract:
 * - `write` resolves once the write is handed to storage behind this entity's earlier writes.
 *   It waits first while `maxInFlight` writes are still unacknowledged (backpressure: a fast
 *   entity cannot flood the storage mailbox). It does not mean durable.
 * - The returned `durable` resolves when storage acknowledged the row (a storage reply means
 *   committed and journalled) and rejects with the storage failure.
 */

import type { MessageData } from '../workflow/message-data.js';
import type { HistoryAddRequest } from './history-record.js';
import { historyAddRequest } from './history-record.js';
import { createWriteWindow, type WriteWindow } from './write-window.js';

/** The storage surface history needs; the storage client fits. */
export interface HistoryStore {
  request(request: HistoryAddRequest): Promise<unknown>;
}

export interface HistoryWriter {
  write(message: MessageData): Promise<{ readonly durable: Promise<void> }>;
}

/** Unacknowledged writes one entity may have before `write` waits. */
export const DEFAULT_MAX_WRITES_IN_FLIGHT = 16;

/**
 * @example
 * const history = createHistoryWriter({ profile: 'alice', store: storageClient });
 * const { durable } = await history.write(message); // queued
 * await durable; // committed: now `messageNew` may fire
 */
export function createHistoryWriter(deps: {
  readonly profile: string;
  readonly store: HistoryStore;
  readonly maxInFlight?: number;
}): HistoryWriter {
  const max = deps.maxInFlight ?? DEFAULT_MAX_WRITES_IN_FLIGHT;
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  // Made at the first write: an idle profile holds no window.
  let writes: WriteWindow | undefined;
  return {
    async write(message) {
      writes ??= createWriteWindow(max);
      const { written } = await writes.start(() =>
        deps.store.request(historyAddRequest(deps.profile, message)).then(() => {}),
      );
      // Failures are observed by whoever awaits `durable` (the signal and the sender's reply).
      return { durable: written };
    },
  };
}
