import type { SerializedError } from '../errors.js';
import type { KernelLogger, MailboxOptions } from './types.js';

/**
 * The wire protocol between a `WorkerCell` (main thread) and its `worker-host` (worker thread),
 * as explicit request/response types. Everything here is structured-clone-able.
 */
export interface WorkerBootData {
  readonly actorId: string;
  /** File URL of the module that exports the behaviour factory. */
  readonly module: string;
  /** Name of the export: `(args) => Behavior<M>`. */
  readonly export: string;
  readonly args: unknown;
  readonly mailbox: MailboxOptions;
  readonly maxBatch: number;
}

export type ToWorker =
  | { readonly t: 'msgs'; readonly msgs: readonly unknown[] }
  | { readonly t: 'stop'; readonly mode: 'drain' | 'reject' };

export interface WireReply {
  readonly askId: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: SerializedError;
}

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'ack'; readonly n: number }
  | { readonly t: 'replies'; readonly items: readonly WireReply[] }
  | {
      readonly t: 'log';
      readonly level: keyof KernelLogger;
      readonly fields: object;
      readonly msg: string;
    }
  | { readonly t: 'failed'; readonly error: SerializedError }
  | { readonly t: 'stopped' };
