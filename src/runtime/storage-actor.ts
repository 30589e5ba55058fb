/**
 * The StorageActor's behaviour. It runs inside its own worker thread (spawned by the StoragePart
 * through `ActorSystem.spawnWorker`) and is the only owner of the storage backend (the sql.js
 * database, or the PostgreSQL pool when `storage.url` is set). Its mailbox is drained in batches:
 * every queued request goes to one `applyBatch` (one transaction, then one journal record and
 * fdatasync, or a COMMIT with synchronous_commit: group commit), and only then are the replies
 * sent — a write's reply means "durable".
 */

import type { ActorContext, Behavior, ReplyTo } from '../actors/types.js';
import { deserializeError } from '../errors.js';
import { type BackendHealth, openStorageBackend } from '../storage/backend.js';
import type { StorageRequest } from '../storage/messages.js';
import { isRefusal } from '../storage/recover.js';
import type { StorageLog } from '../storage/storage-log.js';
import type { StorageStats } from '../storage/storage-stats.js';

export type StorageActorMessage =
  | {
      readonly type: 'storage.request';
      readonly request: StorageRequest;
      readonly replyTo: ReplyTo<unknown>;
    }
  | {
      readonly type: 'storage.health';
      readonly replyTo: ReplyTo<{ health: BackendHealth; stats: StorageStats }>;
    }
  | { readonly type: 'storage.snapshot'; readonly replyTo: ReplyTo<null> };

export interface StorageActorArgs {
  readonly dataDir: string;
  /** `postgres://…` selects the PostgreSQL backend; absent, sql.js in `dataDir`. */
  readonly url?: string | undefined;
  readonly snapshotJournalBytes: number;
  readonly snapshotIntervalMs: number;
  /** Leave the data folder untouched: writes stay in memory (the CLI's offline reads). */
  readonly readOnly?: boolean;
}

/** Opens the engine (snapshot + journal replay + migrations) and returns the behaviour. */
export async function makeStorageActor(
  args: StorageActorArgs,
): Promise<Behavior<StorageActorMessage>> {
  // Recovery logs (dropped journal records, ignored files) are emitted while the engine opens,
  // before the actor has a logger: they are held here and flushed first thing in `started`.
  const early: Parameters<StorageLog>[] = [];
  let sink: StorageLog | undefined;
  const attach = (ctx: ActorContext<StorageActorMessage>) => {
    sink = (level, msg, fields) => ctx.log[level]({ ...fields }, msg);
    for (const entry of early.splice(0)) sink(...entry);
  };
  let engine: Awaited<ReturnType<typeof openStorageBackend>>;
  try {
    engine = await openStorageBackend({
      dataDir: args.dataDir,
      url: args.url,
      snapshot: {
        maxJournalBytes: args.snapshotJournalBytes,
        maxIntervalMs: args.snapshotIntervalMs,
      },
      log: (...entry) => (sink === undefined ? early.push(entry) : sink(...entry)),
      ...(args.readOnly === true ? { readOnly: true } : {}),
    });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    return refusedStorage(error, attach);
  }
  const behavior: Behavior<StorageActorMessage> = {
    started: attach,
    receive(message, ctx) {
      return behavior.receiveBatch?.([message], ctx);
    },
    async receiveBatch(messages, ctx) {
      const requests = messages.filter(
        (m): m is Extract<StorageActorMessage, { type: 'storage.request' }> =>
          m.type === 'storage.request',
      );
      if (requests.length > 0) {
        const outcomes = await engine.applyBatch(requests.map((m) => m.request));
        outcomes.forEach((outcome, i) => {
          const replyTo = (requests[i] as (typeof requests)[number]).replyTo;
          if (outcome.ok) ctx.reply(replyTo, outcome.value);
          else ctx.replyError(replyTo, deserializeError(outcome.error));
        });
      }
      for (const message of messages) {
        if (message.type === 'storage.health') {
          ctx.reply(message.replyTo, { health: engine.health(), stats: engine.stats() });
        } else if (message.type === 'storage.snapshot') {
          await engine.snapshotNow();
          ctx.reply(message.replyTo, null);
        }
      }
    },
    async stopped() {
      await engine.close();
    },
  };
  return behavior;
}

/**
 * The store refused to open (missing or corrupt snapshot, manifest or journal). Restarting
 * cannot help, so instead of failing (and being restarted) the actor answers every ask with
 * the refusal: the runtime's start-up reports it once, with its advice.
 */
function refusedStorage(
  refusal: unknown,
  attach: (ctx: ActorContext<StorageActorMessage>) => void,
): Behavior<StorageActorMessage> {
  return {
    started: attach,
    receive(message, ctx) {
      ctx.replyError(message.replyTo, refusal);
    },
  };
}
