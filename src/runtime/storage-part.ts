import { workerEntry } from '../util/worker-entry.js';
import type { HealthEntry, RuntimePart, RuntimeServices } from './runtime.js';
import type { StorageActorArgs, StorageActorMessage } from './storage-actor.js';
import { StorageClient } from './storage-client.js';

/**
 * Starts the StorageActor in its own worker thread, supervised with restarts (a restarted worker
 * loads the snapshot and replays the journal; asks in flight when it died fail with
 * `actor.failed`, never silently), and watches its health for `/health`, metrics and the
 * `storageUnhealthy` signal.
 */
export class StoragePart implements RuntimePart {
  readonly name = 'storage';
  #client: StorageClient | undefined;
  #health: HealthEntry = { ok: false, detail: 'not started' };
  #poll: NodeJS.Timeout | undefined;
  readonly #readOnly: boolean;

  /** `readOnly`: leave the data folder untouched, writes stay in memory (the CLI's offline reads). */
  constructor(options: { readonly readOnly?: boolean } = {}) {
    this.#readOnly = options.readOnly === true;
  }

  get client(): StorageClient {
    if (this.#client === undefined) throw new Error('storage is not started');
    return this.#client;
  }

  async start(runtime: RuntimeServices): Promise<void> {
    const args: StorageActorArgs = {
      dataDir: runtime.dataDir,
      url: runtime.config.storage.url,
      snapshotJournalBytes: runtime.config.storage.snapshotJournalBytes,
      snapshotIntervalMs: runtime.config.storage.snapshotIntervalMs,
      ...(this.#readOnly ? { readOnly: true } : {}),
    };
    const ref = runtime.system.spawnWorker<StorageActorMessage>(
      'storage',
      {
        module: workerEntry(import.meta.url, './storage-actor.js'),
        export: 'makeStorageActor',
        args,
      },
      {
        mailbox: { capacity: runtime.config.storage.mailboxCapacity },
        supervision: {
          kind: 'restart',
          maxRestarts: 5,
          withinMs: 60_000,
          backoffBaseMs: 200,
          backoffMaxMs: 5_000,
        },
      },
    );
    this.#client = new StorageClient(ref);
    // The first health answer proves the database opened (snapshot, journal, migrations).
    await this.#refresh(runtime, 120_000);
    this.#poll = setInterval(() => void this.#refresh(runtime), 2_000);
    this.#poll.unref();
  }

  async #refresh(runtime: RuntimeServices, timeoutMs?: number): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const wasOk = this.#health.ok;
    try {
      const { health, stats } = await (timeoutMs
        ? client.ref.ask<Awaited<ReturnType<StorageClient['health']>>>(
            (replyTo) => ({ type: 'storage.health', replyTo }),
            { timeoutMs },
          )
        : client.health());
      this.#health = health.ok
        ? {
            ok: true,
            detail: `${health.backend} ${health.location}: ${health.backend === 'sqljs' ? `journal ${health.journalBytes} bytes, ` : ''}commit p99 ${stats.commitLatencyMs.p99.toFixed(2)} ms`,
          }
        : {
            ok: false,
            detail: `${health.backend} ${health.location}: ${health.reason ?? 'unhealthy'}`,
          };
      runtime.metrics.journalBytes.set(health.journalBytes);
      runtime.metrics.storageBatches.set(stats.batches);
      runtime.metrics.storageBatchSize.set({ stat: 'mean' }, stats.meanBatchSize);
      runtime.metrics.storageBatchSize.set({ stat: 'max' }, stats.maxBatchSize);
      runtime.metrics.storageCommitSeconds.update(stats.commitSeconds);
      runtime.metrics.storageHealthy.set(health.ok ? 1 : 0);
    } catch (error) {
      if (timeoutMs) throw error;
      this.#health = {
        ok: false,
        detail: `storage actor not answering: ${(error as Error).message}`,
      };
      runtime.metrics.storageHealthy.set(0);
    }
    if (wasOk && !this.#health.ok) {
      runtime.log.error({ reason: this.#health.detail }, 'storage unhealthy');
      runtime.events.emit('storageUnhealthy', { reason: this.#health.detail });
    } else if (!wasOk && this.#health.ok && this.#poll !== undefined) {
      runtime.events.emit('storageHealthy', {});
    }
  }

  health(): HealthEntry {
    return this.#health;
  }

  async stop(): Promise<void> {
    clearInterval(this.#poll);
    // Draining the mailbox flushes every queued write; the actor's stopped hook snapshots and closes.
    await this.#client?.ref.stop({ mode: 'drain' });
  }
}
