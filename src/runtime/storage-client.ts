import type { ActorRef } from '../actors/types.js';
import type { BackendHealth } from '../storage/backend.js';
import type { StorageRequest, StorageResponse } from '../storage/messages.js';
import type { StorageStats } from '../storage/storage-stats.js';
import type { StorageActorMessage } from './storage-actor.js';

/**
 * Typed access to the StorageActor from any thread-side caller: one `ask` per request, the
 * result typed by the request's `type`. Failures arrive as AviaryErrors with the engine's codes.
 *
 * @example
 * const profile = await storage.request({ type: 'profile.get', name: 'alice' }); // ProfileInfo | null
 */
export class StorageClient {
  readonly #ref: ActorRef<StorageActorMessage>;
  readonly #timeoutMs: number;

  constructor(ref: ActorRef<StorageActorMessage>, options: { timeoutMs?: number } = {}) {
    this.#ref = ref;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get ref(): ActorRef<StorageActorMessage> {
    return this.#ref;
  }

  request<R extends StorageRequest>(
    request: R,
    options: { signal?: AbortSignal } = {},
  ): Promise<StorageResponse<R>> {
    return this.#ref.ask<StorageResponse<R>>(
      (replyTo) => ({ type: 'storage.request', request, replyTo: replyTo as never }),
      {
        timeoutMs: this.#timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  }

  health(): Promise<{ health: BackendHealth; stats: StorageStats }> {
    return this.#ref.ask((replyTo) => ({ type: 'storage.health', replyTo }), {
      timeoutMs: this.#timeoutMs,
    });
  }

  snapshot(): Promise<null> {
    return this.#ref.ask((replyTo) => ({ type: 'storage.snapshot', replyTo }), {
      timeoutMs: 600_000,
    });
  }
}
